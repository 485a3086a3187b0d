import type { StorageEngine } from '../../engine/storage-engine.js';
import { InvalidArgumentError, TableNotFoundError } from '../../errors.js';

/**
 * Checks that `table` is an events table (its `_metadata` row says so): `TableNotFoundError` when it
 * does not exist, `InvalidArgumentError` when it holds profiles or was created by hand with SQL.
 */
export async function requireEventsTable(
  storage: StorageEngine,
  table: string,
  operation: string,
): Promise<void> {
  const found = (await storage.listTables()).find((t) => t.name === table);
  if (!found) throw new TableNotFoundError(table);
  if (found.type !== 'events') {
    const what = found.type === 'other' ? 'a table without events metadata' : `a ${found.type} table`;
    throw new InvalidArgumentError(
      `The ${operation} needs an events table, but '${table}' is ${what}. ` +
        `Use a table written by 'mp fetch events' (or createEventsTable).`,
      { details: { table, type: found.type } },
    );
  }
}
