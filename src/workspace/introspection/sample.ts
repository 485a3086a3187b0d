import type { StorageEngine } from '../../engine/storage-engine.js';
import { assertCount } from './assert-count.js';
import { SqlParameters } from './sql-parameters.js';

/** Options of `sample()`. */
export interface SampleOptions {
  /** How many rows at most. Default 10. */
  readonly n?: number;
  readonly signal?: AbortSignal;
}

/**
 * Up to `n` rows of `table` picked at random (a new pick on each call), as plain objects.
 * `TableNotFoundError` when the table does not exist. Reads the whole table to shuffle it.
 */
export async function sample(
  storage: StorageEngine,
  table: string,
  options: SampleOptions = {},
): Promise<Record<string, unknown>[]> {
  const n = options.n ?? 10;
  assertCount('n', n);
  // The catalog lookup is the validation: only an existing table's name reaches the SQL, quoted.
  const { name } = await storage.getSchema(table);
  const params = new SqlParameters(storage.dialect);
  const sql = `SELECT * FROM ${storage.dialect.quoteIdentifier(name)} ORDER BY random() LIMIT ${params.bind(n)}`;
  return storage.executeObjects(sql, params.values, options.signal ? { signal: options.signal } : {});
}
