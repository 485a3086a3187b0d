import type BetterSqlite3 from 'better-sqlite3';
import type { ColumnDef, WriteValue } from '../../backend/column-types.js';
import { InvalidArgumentError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { sqliteDialect } from './sqlite-dialect.js';
import { type SqliteBindValue, type ValueWriter, valueWriterFor } from './sqlite-values.js';

/**
 * Rows per multi-row INSERT. Measured through appendRows on 300k event-shaped rows (5 columns,
 * 145-byte JSON, batches of 5000) in one transaction, WAL, synchronous=normal, on a 2-core VM:
 * single-row INSERT 210–250k rows/s to a file (430k in memory); 50 rows 300–340k; 100 rows
 * 330–355k (600k in memory); 200 rows no better. Binding cost dominates past ~50 rows.
 */
const ROWS_PER_STATEMENT = 100;
/** SQLITE_MAX_VARIABLE_NUMBER of every SQLite since 3.32 (better-sqlite3 bundles its own). */
const MAX_BIND_PARAMETERS = 32766;
/** Longest stretch of synchronous work before giving timers, signals and I/O a turn. */
const MAX_BLOCKING_MS = 20;

/**
 * better-sqlite3 runs synchronously, and `for await` over ready data never leaves the microtask
 * queue, so timers (an abort from a timeout) and Ctrl-C handlers would wait for the whole load.
 * This gives the event loop a turn once every {@link MAX_BLOCKING_MS} of work.
 */
export class EventLoopTurns {
  #since = performance.now();

  /** Yields to the event loop (setImmediate) if the last turn was too long ago. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.#since < MAX_BLOCKING_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}

/**
 * The bulk path of `appendRows`: one prepared multi-row INSERT (plus a single-row one for the tail
 * of each batch), run inside the caller's transaction. Each incoming batch is written synchronously;
 * between batches the writer checks the signal and lets the event loop run.
 */
export class SqliteTableWriter {
  readonly #columns: readonly ColumnDef[];
  readonly #writers: readonly ValueWriter[];
  readonly #rowsPerStatement: number;
  readonly #multi: BetterSqlite3.Statement | null;
  readonly #single: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database, table: string, columns: readonly ColumnDef[]) {
    if (columns.length === 0)
      throw new InvalidArgumentError(`appendRows into '${table}' needs at least one column.`);
    this.#columns = columns;
    this.#writers = columns.map((column) => valueWriterFor(column.type));
    const q = sqliteDialect.quoteIdentifier;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const head = `INSERT INTO ${q(table)} (${columns.map((column) => q(column.name)).join(', ')}) VALUES `;
    this.#rowsPerStatement = Math.max(
      1,
      Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_BIND_PARAMETERS / columns.length)),
    );
    this.#single = db.prepare(head + tuple);
    this.#multi =
      this.#rowsPerStatement > 1
        ? db.prepare(head + Array(this.#rowsPerStatement).fill(tuple).join(', '))
        : null;
  }

  /** The SQL of the multi-row statement (for error messages). */
  get sql(): string {
    return (this.#multi ?? this.#single).source;
  }

  /** Writes every batch; resolves to the number of rows written. */
  async append(
    table: string,
    rows: AsyncIterable<readonly (readonly WriteValue[])[]>,
    signal: AbortSignal | undefined,
    mapDriverError: (error: unknown) => Error,
  ): Promise<number> {
    const operation = `append rows to '${table}'`;
    const turns = new EventLoopTurns();
    let written = 0;
    throwIfAborted(signal, operation);
    for await (const batch of rows) {
      throwIfAborted(signal, operation);
      try {
        written += this.#writeBatch(table, batch, written);
      } catch (error) {
        throw mapDriverError(error);
      }
      await turns.maybeYield();
      throwIfAborted(signal, operation);
    }
    return written;
  }

  #writeBatch(table: string, batch: readonly (readonly WriteValue[])[], writtenBefore: number): number {
    const width = this.#columns.length;
    const writers = this.#writers;
    const per = this.#rowsPerStatement;
    let index = 0;
    if (this.#multi !== null) {
      const params = new Array<SqliteBindValue>(per * width);
      for (; index + per <= batch.length; index += per) {
        let k = 0;
        for (let r = index; r < index + per; r++) {
          const row = this.#checked(table, batch[r]!, writtenBefore + r);
          for (let c = 0; c < width; c++) params[k++] = writers[c]!(row[c]);
        }
        this.#multi.run(params);
      }
    }
    const params = new Array<SqliteBindValue>(width);
    for (; index < batch.length; index++) {
      const row = this.#checked(table, batch[index]!, writtenBefore + index);
      for (let c = 0; c < width; c++) params[c] = writers[c]!(row[c]);
      this.#single.run(params);
    }
    return batch.length;
  }

  #checked(table: string, row: readonly WriteValue[], position: number): readonly WriteValue[] {
    if (row.length !== this.#columns.length) {
      throw new InvalidArgumentError(
        `appendRows into '${table}': row #${position + 1} has ${row.length} values for ${this.#columns.length} columns.`,
        { details: { table, position: position + 1 } },
      );
    }
    return row;
  }
}
