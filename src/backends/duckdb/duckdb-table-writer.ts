import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBTimestampValue,
} from '@duckdb/node-api';
import type { StatementOptions } from '../../backend/backend.js';
import type { ColumnDef, ColumnType, WriteValue } from '../../backend/column-types.js';
import { throwIfAborted } from '../../util/abort.js';
import { appendThroughSpool, type SpoolOptions } from './duckdb-spool-writer.js';
import { MS_PER_DAY, toEpochMs } from './duckdb-values.js';

type AppendOne = (appender: DuckDBAppender, value: NonNullable<WriteValue>) => void;

/** One append function per portable type, chosen once per column rather than per value. */
const APPEND_BY_TYPE: Readonly<Record<ColumnType, AppendOne>> = {
  string: (a, v) => a.appendVarchar(String(v)),
  // The Appender does not validate JSON; the engine serialises JSON itself, so this is known-good text.
  json: (a, v) => a.appendVarchar(String(v)),
  timestamp: (a, v) => a.appendTimestamp(new DuckDBTimestampValue(BigInt(toEpochMs(v)) * 1000n)),
  int64: (a, v) => a.appendBigInt(typeof v === 'bigint' ? v : BigInt(v as number)),
  float64: (a, v) => a.appendDouble(Number(v)),
  boolean: (a, v) => a.appendBoolean(Boolean(v)),
  date: (a, v) => a.appendDate(new DuckDBDateValue(Math.floor(toEpochMs(v) / MS_PER_DAY))),
};

/**
 * Writes batches through DuckDB's Appender, the engine's native bulk path (row-wise appends measured
 * at ~350k rows/s here, against ~20k rows/s for prepared multi-row INSERTs). The Appender joins the
 * connection's open transaction, so a caller's ROLLBACK discards everything appended.
 */
export async function appendWithAppender(
  connection: DuckDBConnection,
  table: string,
  columns: readonly ColumnDef[],
  batches: AsyncIterable<readonly (readonly WriteValue[])[]>,
  options: StatementOptions = {},
): Promise<number> {
  const appenders = columns.map((column) => APPEND_BY_TYPE[column.type]);
  const width = appenders.length;
  const appender = await connection.createAppender(table);
  let written = 0;
  let closed = false;
  try {
    for await (const batch of batches) {
      throwIfAborted(options.signal, 'Bulk append');
      for (const row of batch) {
        for (let i = 0; i < width; i++) {
          const value = row[i];
          if (value === null || value === undefined) appender.appendNull();
          else appenders[i]!(appender, value);
        }
        appender.endRow();
      }
      written += batch.length;
    }
    appender.flushSync();
    appender.closeSync();
    closed = true;
    return written;
  } finally {
    if (!closed) {
      // On failure the caller rolls the transaction back; drop the buffered rows without flushing.
      try {
        appender.clear();
        appender.closeSync();
      } catch {
        // The appender may already be invalid after a failed append; the rollback still discards it.
      }
    }
  }
}

type Batch = readonly (readonly WriteValue[])[];
type Batches = AsyncIterable<Batch>;

/**
 * The first rows of every append go through the Appender, and only sources longer than this
 * continue through the spool: for metadata rows, tests and small appends a spool file and a CSV
 * scan would cost more than they save.
 */
export const SMALL_APPEND_ROWS = 20_000;

/**
 * One pass over a source of batches, handed to two writers in turn: {@link take} yields the first
 * rows, {@link rest} the others, each batch read once and in order.
 */
class BatchSource {
  /** True once the source is exhausted (or closed). */
  done = false;
  readonly #iterator: AsyncIterator<Batch>;

  constructor(batches: Batches) {
    this.#iterator = batches[Symbol.asyncIterator]();
  }

  /** Batches until at least `rows` rows were yielded or the source ends. */
  async *take(rows: number): AsyncGenerator<Batch> {
    let taken = 0;
    while (taken < rows) {
      const batch = await this.#next();
      if (batch === undefined) return;
      taken += batch.length;
      yield batch;
    }
  }

  /** The remaining batches. */
  async *rest(): AsyncGenerator<Batch> {
    for (let batch = await this.#next(); batch !== undefined; batch = await this.#next()) yield batch;
  }

  /** Lets a source that was not read to its end run its own clean-up (a writer stopped early). */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.#iterator.return?.();
  }

  async #next(): Promise<Batch | undefined> {
    if (this.done) return undefined;
    const next = await this.#iterator.next();
    if (next.done) this.done = true;
    return next.done ? undefined : next.value;
  }
}

/**
 * The backend's bulk path: the first {@link SMALL_APPEND_ROWS} rows through the Appender as they
 * arrive, the rest (if any) through the spool (duckdb-spool-writer.ts), where DuckDB loads one
 * slice on its own threads while JavaScript encodes the next. Both join the connection's open
 * transaction.
 *
 * Why not look ahead to pick one path: holding the first 20,000 rows alive while peeking made V8
 * pretenure the allocation sites of rows (their objects then went straight to the old generation
 * for the whole load): 1M events promoted 507 MB instead of 40 MB, scavenges took 1.6 s instead of
 * 0.7 s, and the heap peaked ~50 MB higher (docs/benchmarks.md).
 */
export async function appendRowsNatively(
  connection: DuckDBConnection,
  table: string,
  columns: readonly ColumnDef[],
  batches: Batches,
  options: SpoolOptions = {},
): Promise<number> {
  const source = new BatchSource(batches);
  try {
    const head = await appendWithAppender(
      connection,
      table,
      columns,
      source.take(SMALL_APPEND_ROWS),
      options,
    );
    if (source.done) return head;
    return head + (await appendThroughSpool(connection, table, columns, source.rest(), options));
  } finally {
    await source.close();
  }
}
