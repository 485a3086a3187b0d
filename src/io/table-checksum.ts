import type { ColumnDef } from '../backend/column-types.js';
import type { StorageEngine } from '../engine/storage-engine.js';
import { throwIfAborted } from '../util/abort.js';
import { canonicalCell } from './cell-values.js';
import { DigestSums, sha256 } from './digest-sums.js';
import { describeTableLayout, selectAllSql, type TableLayout } from './table-layout.js';

/**
 * A portable content checksum of a table, the same on every backend for the same rows.
 *
 * Definition (version 1):
 * 1. Each row becomes canonical text: a JSON object of its columns, keys sorted, each value in the
 *    canonical form of its portable type (`cell-values.ts`): text as a JSON string; int64 as exact
 *    digits; float64 as the shortest round-trip number; timestamps as ISO-8601 UTC with
 *    milliseconds; dates as `YYYY-MM-DD`; booleans; JSON columns as canonical JSON (keys sorted,
 *    numbers normalised: `canonical-json.ts`); NULL as `null`.
 * 2. The row's hash is SHA-256 of that text (UTF-8); its first 16 bytes are read as two unsigned
 *    64-bit big-endian integers.
 * 3. The table's checksum is the pair of their sums modulo 2^64, written as 32 hex digits
 *    (high sum first), together with the row count.
 *
 * Summing makes it independent of row order (no ORDER BY, streaming in constant memory) while a
 * changed, missing or extra row changes it. It is computed in JavaScript while rows stream, so the
 * definition never depends on one engine's hash or JSON functions.
 */

/** Row count and checksum of a table (or of rows streamed through an accumulator). */
export interface TableChecksum {
  readonly rows: number;
  /** 32 lower-case hex digits. */
  readonly checksum: string;
}

/** Accumulates the checksum of rows given in `columns` order. */
export class ChecksumAccumulator {
  readonly #types: ColumnDef['type'][];
  /** Column positions in name order, with the JSON key text of each. */
  readonly #order: { index: number; key: string }[];
  readonly #sums = new DigestSums();
  #rows = 0;

  constructor(columns: readonly ColumnDef[]) {
    this.#types = columns.map((c) => c.type);
    this.#order = columns
      .map((c, index) => ({ index, name: c.name }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(({ index, name }) => ({ index, key: JSON.stringify(name) }));
  }

  /** Adds one row (values in `columns` order). */
  add(row: readonly unknown[]): void {
    let text = '{';
    for (let i = 0; i < this.#order.length; i++) {
      const { index, key } = this.#order[i]!;
      if (i > 0) text += ',';
      text += `${key}:${canonicalCell(row[index], this.#types[index]!)}`;
    }
    text += '}';
    this.#sums.add(sha256(text));
    this.#rows++;
  }

  /** The result so far. */
  result(): TableChecksum {
    return { rows: this.#rows, checksum: this.#sums.hex() };
  }
}

/** Streams every row of a table and returns its count and checksum. */
export async function tableChecksum(
  storage: StorageEngine,
  layout: Pick<TableLayout, 'name' | 'columns'>,
  options: { signal?: AbortSignal; onRows?: (rows: number) => void } = {},
): Promise<TableChecksum> {
  const accumulator = new ChecksumAccumulator(layout.columns);
  const sql = selectAllSql(storage.dialect, layout);
  for await (const batch of storage.streamRows(sql, [], {
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    throwIfAborted(options.signal, 'Checksum');
    for (const row of batch.rows) accumulator.add(row);
    options.onRows?.(accumulator.result().rows);
  }
  return accumulator.result();
}

/** Row count and content checksum of table `name` (the definition above), streaming. */
export async function checksumTable(
  storage: StorageEngine,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<TableChecksum> {
  return tableChecksum(storage, await describeTableLayout(storage, name), options);
}
