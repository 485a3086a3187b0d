import type BetterSqlite3 from 'better-sqlite3';
import type {
  AppliedSetting,
  BackendConnection,
  CatalogColumn,
  NativeBackup,
  NativeBackupOptions,
  Session,
  SqlParams,
  StatementOptions,
  StorageMode,
  StorageStats,
} from '../../backend/backend.js';
import type { BackendCapabilities } from '../../backend/backend-capabilities.js';
import type { ColumnDef, WriteValue } from '../../backend/column-types.js';
import type { ResultColumn, ResultSet } from '../../backend/result-set.js';
import type { SqlDialect } from '../../backend/sql-dialect.js';
import { DatabaseClosedError, InvalidArgumentError, ReadOnlyError, UnsupportedError } from '../../errors.js';
import { sleep, throwIfAborted } from '../../util/abort.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { type ResolvedSqliteConfig, readSqliteSettings } from './sqlite-config.js';
import { sqliteDialect } from './sqlite-dialect.js';
import { isLockError, mapSqliteError } from './sqlite-errors.js';
import { backupSqlite } from './sqlite-file-backup.js';
import { SqliteIntrospector } from './sqlite-introspector.js';
import { EventLoopTurns, SqliteTableWriter } from './sqlite-table-writer.js';
import { convertRows, toBindValue, type ValueReader, valueReaderFor } from './sqlite-values.js';

/** Everything `sqlite-backend.ts` hands over after opening the file and applying the pragmas. */
export interface SqliteConnectionInit {
  readonly db: BetterSqlite3.Database;
  readonly capabilities: BackendCapabilities;
  readonly mode: StorageMode;
  /** The database path, or `:memory:`. */
  readonly location: string;
  readonly readOnly: boolean;
  readonly config: ResolvedSqliteConfig;
  /**
   * Opens the separate connection transactions write on (file databases opened read-write), so
   * that reads and streams on `db` keep seeing the last committed state, as in other processes.
   * `null` for `:memory:` (a second connection would be a second database) and for read-only opens:
   * then transactions run on `db` itself.
   */
  readonly openWriter: (() => BetterSqlite3.Database) | null;
  /**
   * The database file, when the writer's commits may leave WAL checkpoints to a background worker
   * (sqlite-checkpointer.ts); `null` without a separate writer.
   */
  readonly checkpointFile: string | null;
  /** Runs once after the database is closed (removes an ephemeral database). */
  readonly afterClose: () => void;
}

const DEFAULT_BATCH_ROWS = 10_000;
/** SQLite's default `wal_autocheckpoint`, restored if background checkpoints fail. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** Lock-wait polling: first pause and the cap of the doubling pauses. */
const LOCK_POLL_FIRST_MS = 5;
const LOCK_POLL_MAX_MS = 100;

/** One open transaction; its session stops working once `active` is false. */
interface OpenTransaction {
  active: boolean;
}

/**
 * A better-sqlite3 database behind the backend contract.
 *
 * better-sqlite3 is synchronous: every statement blocks the thread until it finishes, so no running
 * statement can be cancelled (capability `cancelRunningStatement: false`). An abort is honoured
 * before each statement and between the batches of `appendRows` and `stream`.
 *
 * Two better-sqlite3 connections for a file database: `db` for reads, streams and statements run
 * outside a transaction, and a writer (opened at the first transaction) that `transaction()` works
 * on. WAL lets the reader see the last committed state while a write is in progress, like DuckDB's
 * connection-per-transaction. A `:memory:` database has a single connection: there, reads during a
 * transaction see its uncommitted work, and an open `stream()` makes writes fail (better-sqlite3
 * refuses to write on a connection with an open iterator) until it is finished or broken out of.
 */
export class SqliteConnection implements BackendConnection {
  readonly name = 'sqlite' as const;
  readonly capabilities: BackendCapabilities;
  readonly dialect: SqlDialect = sqliteDialect;
  readonly location: string;
  readonly readOnly: boolean;

  readonly #db: BetterSqlite3.Database;
  readonly #openWriter: (() => BetterSqlite3.Database) | null;
  #writer: BetterSqlite3.Database | null = null;
  readonly #checkpointFile: string | null;
  #checkpointer: SqliteCheckpointer | null = null;
  readonly #mode: StorageMode;
  readonly #config: ResolvedSqliteConfig;
  readonly #afterClose: () => void;
  readonly #introspector: SqliteIntrospector;
  readonly #openIterators = new Set<Iterator<unknown>>();
  #transaction: OpenTransaction | null = null;
  #closed = false;

  constructor(init: SqliteConnectionInit) {
    this.#db = init.db;
    this.#openWriter = init.openWriter;
    this.#checkpointFile = init.checkpointFile;
    this.capabilities = init.capabilities;
    this.#mode = init.mode;
    this.location = init.location;
    this.readOnly = init.readOnly;
    this.#config = init.config;
    this.#afterClose = init.afterClose;
    this.#introspector = new SqliteIntrospector(init.db);
  }

  /** The better-sqlite3 `Database`. */
  get native(): unknown {
    return this.#db;
  }

  async run(sql: string, params: SqlParams = [], options: StatementOptions = {}): Promise<number> {
    this.#assertOpen();
    return this.#run(this.#db, sql, params, options.signal);
  }

  async query(sql: string, params: SqlParams = [], options: StatementOptions = {}): Promise<ResultSet> {
    this.#assertOpen();
    return this.#query(this.#db, sql, params, options.signal);
  }

  /** Runs in a transaction of its own, so the load lands whole or not at all. */
  async appendRows(
    table: string,
    columns: readonly ColumnDef[],
    rows: AsyncIterable<readonly (readonly WriteValue[])[]>,
    options: StatementOptions = {},
  ): Promise<number> {
    this.#assertOpen();
    return this.transaction((session) => session.appendRows(table, columns, rows, options));
  }

  async *stream(
    sql: string,
    params: SqlParams = [],
    options: StatementOptions & { readonly batchRows?: number } = {},
  ): AsyncIterable<ResultSet> {
    this.#assertOpen();
    const { signal } = options;
    const batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
    throwIfAborted(signal, 'stream');
    const stmt = this.#prepare(this.#db, sql, 'stream');
    if (!stmt.reader) {
      this.#execute(() => stmt.run(bindAll(params)), sql, 'stream');
      return;
    }
    const { columns, readers } = describeColumns(stmt.raw(true));
    const iterator = this.#execute(() => stmt.iterate(bindAll(params)), sql, 'stream') as IterableIterator<
      unknown[]
    >;
    this.#openIterators.add(iterator);
    const turns = new EventLoopTurns();
    try {
      for (;;) {
        throwIfAborted(signal, 'stream');
        this.#assertOpen(); // close() returned the iterator: fail rather than end the result early
        const rows: unknown[][] = [];
        let done = false;
        this.#execute(
          () => {
            while (rows.length < batchRows) {
              const next = iterator.next();
              if (next.done) {
                done = true;
                break;
              }
              rows.push(next.value);
            }
          },
          sql,
          'stream',
        );
        // Like the DuckDB backend, an empty result yields no batch at all.
        if (rows.length > 0) yield { columns, rows: convertRows(rows, readers) };
        if (done) return;
        await turns.maybeYield();
      }
    } finally {
      // Runs on early break, abort and error alike: releases the statement and its read snapshot.
      this.#openIterators.delete(iterator);
      iterator.return?.();
    }
  }

  async transaction<T>(work: (session: Session) => Promise<T>): Promise<T> {
    this.#assertOpen();
    if (this.#transaction !== null) {
      throw new UnsupportedError(
        'A transaction is already open on this SQLite connection: transactions do not nest. ' +
          'Use the session passed to the open transaction.',
      );
    }
    const transaction: OpenTransaction = { active: true };
    this.#transaction = transaction;
    try {
      const db = this.#transactionDb();
      await this.#begin(db);
      try {
        const result = await work(this.#session(db, transaction));
        this.#assertOpen();
        this.#execute(() => db.exec('COMMIT'), 'COMMIT', 'commit');
        if (db === this.#writer) this.#checkpointer?.afterCommit();
        return result;
      } catch (error) {
        // SQLite has already rolled back after some errors (SQLITE_FULL, a failed COMMIT...).
        if (db.open && db.inTransaction) {
          try {
            db.exec('ROLLBACK');
          } catch {
            // The original error matters more than a failed rollback; closing will roll back anyway.
          }
        }
        throw error;
      }
    } finally {
      transaction.active = false;
      this.#transaction = null;
    }
  }

  async listTables(): Promise<string[]> {
    this.#assertOpen();
    return this.#execute(() => this.#introspector.listTables(), '', 'list tables');
  }

  async describeTable(table: string): Promise<CatalogColumn[] | null> {
    this.#assertOpen();
    return this.#execute(() => this.#introspector.describeTable(table), '', `describe '${table}'`);
  }

  async settings(): Promise<AppliedSetting[]> {
    this.#assertOpen();
    const settings = this.#execute(
      () => readSqliteSettings(this.#db, this.#config, this.readOnly),
      '',
      'read settings',
    );
    settings.push({
      key: 'access_mode',
      value: this.#db.readonly ? 'read_only' : 'read_write',
      source: 'option',
    });
    return settings;
  }

  async stats(tables: readonly { name: string; rows: number }[]): Promise<StorageStats> {
    this.#assertOpen();
    const figures = this.#execute(
      () => this.#introspector.stats(this.location, this.#mode === 'memory', tables),
      '',
      'read storage stats',
    );
    return { backend: 'sqlite', ...figures };
  }

  /** Online backup of the committed state into `directory` (capability `nativeBackup`). */
  async backupTo(directory: string, options?: NativeBackupOptions): Promise<NativeBackup> {
    this.#assertOpen();
    return backupSqlite(this.#db, this.location, directory, options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // better-sqlite3 refuses to close while an iterator is open (an abandoned, un-returned stream).
    for (const iterator of this.#openIterators) {
      try {
        iterator.return?.();
      } catch {
        // Best effort: we are closing anyway.
      }
    }
    this.#openIterators.clear();
    // Before the writer closes: its last commit's checkpoint may still be running in the worker.
    await this.#checkpointer?.close().catch(() => undefined);
    const writer = this.#writer;
    this.#writer = null;
    try {
      writer?.close(); // rolls back a transaction left open
    } finally {
      try {
        this.#db.close();
      } finally {
        this.#afterClose();
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The session handed to transaction work; it refuses use after its transaction has ended. */
  #session(db: BetterSqlite3.Database, transaction: OpenTransaction): Session {
    const check = () => {
      this.#assertOpen();
      if (!transaction.active) {
        throw new InvalidArgumentError('This transaction has ended; its session can no longer be used.');
      }
    };
    return {
      run: async (sql, params = [], options = {}) => {
        check();
        return this.#run(db, sql, params, options.signal);
      },
      query: async (sql, params = [], options = {}) => {
        check();
        return this.#query(db, sql, params, options.signal);
      },
      appendRows: async (table, columns, rows, options = {}) => {
        check();
        return this.#append(db, table, columns, rows, options.signal);
      },
    };
  }

  /**
   * BEGIN IMMEDIATE takes the write lock up front, so a second writer fails (or waits) here instead
   * of deadlocking halfway through. The wait for `lockTimeoutMs` is an async poll rather than
   * SQLite's busy handler, which would block the whole thread: timers and Ctrl-C keep working, and
   * another connection of this same process can commit meanwhile. Read-only connections take a
   * plain (deferred) read transaction.
   */
  async #begin(db: BetterSqlite3.Database): Promise<void> {
    if (this.readOnly) {
      this.#execute(() => db.exec('BEGIN'), 'BEGIN', 'begin a transaction');
      return;
    }
    const timeoutMs = this.#config.config.busy_timeout;
    const deadline = performance.now() + timeoutMs;
    if (timeoutMs > 0) db.pragma('busy_timeout = 0');
    try {
      for (let pause = LOCK_POLL_FIRST_MS; ; pause = Math.min(pause * 2, LOCK_POLL_MAX_MS)) {
        try {
          db.exec('BEGIN IMMEDIATE');
          return;
        } catch (error) {
          const left = deadline - performance.now();
          if (!isLockError(error) || left <= 0) {
            throw mapSqliteError(error, {
              location: this.location,
              sql: 'BEGIN IMMEDIATE',
              operation: 'begin',
            });
          }
          await sleep(Math.min(pause, left));
          this.#assertOpen();
        }
      }
    } finally {
      // Validated integer, restored for the statements that still rely on SQLite's busy handler.
      if (timeoutMs > 0 && db.open) db.pragma(`busy_timeout = ${timeoutMs}`);
    }
  }

  #run(db: BetterSqlite3.Database, sql: string, params: SqlParams, signal: AbortSignal | undefined): number {
    throwIfAborted(signal, 'run');
    const stmt = this.#prepare(db, sql, 'run');
    return this.#execute(
      () => {
        if (!stmt.reader) return stmt.run(bindAll(params)).changes;
        // A statement with RETURNING (or a PRAGMA) yields rows: run it to the end.
        const rows = stmt.raw(true).all(bindAll(params));
        return stmt.readonly ? 0 : rows.length;
      },
      sql,
      'run',
    );
  }

  #query(
    db: BetterSqlite3.Database,
    sql: string,
    params: SqlParams,
    signal: AbortSignal | undefined,
  ): ResultSet {
    throwIfAborted(signal, 'query');
    const stmt = this.#prepare(db, sql, 'query');
    if (!stmt.reader) {
      this.#execute(() => stmt.run(bindAll(params)), sql, 'query');
      return { columns: [], rows: [] };
    }
    const { columns, readers } = describeColumns(stmt.raw(true));
    const rows = this.#execute(() => stmt.all(bindAll(params)) as unknown[][], sql, 'query');
    return { columns, rows: convertRows(rows, readers) };
  }

  async #append(
    db: BetterSqlite3.Database,
    table: string,
    columns: readonly ColumnDef[],
    rows: AsyncIterable<readonly (readonly WriteValue[])[]>,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const operation = `append rows to '${table}'`;
    if (this.readOnly) throw new ReadOnlyError(operation, { details: { table } });
    throwIfAborted(signal, operation);
    const writer = this.#execute(() => new SqliteTableWriter(db, table, columns), '', operation);
    // Only the driver's errors are mapped; the source's own errors (a bad record...) pass through.
    return writer.append(table, rows, signal, (error) =>
      mapSqliteError(error, { location: this.location, sql: writer.sql, operation }),
    );
  }

  #prepare(db: BetterSqlite3.Database, sql: string, operation: string): BetterSqlite3.Statement {
    return this.#execute(() => db.prepare(sql), sql, operation);
  }

  /** The writer connection (opened on first use), or the only connection. */
  #transactionDb(): BetterSqlite3.Database {
    if (this.#openWriter === null) return this.#db;
    if (this.#writer === null) {
      const writer = this.#openWriter();
      this.#writer = writer;
      if (this.#checkpointFile !== null && writer.pragma('journal_mode', { simple: true }) === 'wal') {
        // Commits no longer checkpoint on this thread; the checkpointer does it in a worker.
        writer.pragma('wal_autocheckpoint = 0');
        this.#checkpointer = new SqliteCheckpointer(this.#checkpointFile, () => {
          if (writer.open) writer.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
        });
      }
    }
    return this.#writer;
  }

  /** Runs driver code, turning its errors into ours (QueryError carries `sql`, never parameters). */
  #execute<T>(action: () => T, sql: string, operation: string): T {
    try {
      return action();
    } catch (error) {
      throw mapSqliteError(error, {
        location: this.location,
        operation,
        ...(sql === '' ? {} : { sql }),
      });
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new DatabaseClosedError({ details: { location: this.location } });
  }
}

/** Binds positional parameters; an array argument is how better-sqlite3 takes `?` values. */
function bindAll(params: SqlParams): unknown[] {
  return params.map(toBindValue);
}

/** Result columns (declared type as the type name, '' for expressions) and their readers. */
function describeColumns(stmt: BetterSqlite3.Statement): {
  columns: ResultColumn[];
  readers: ValueReader[];
} {
  const definitions = stmt.columns();
  return {
    columns: definitions.map((column) => ({ name: column.name, type: column.type ?? '' })),
    readers: definitions.map((column) => valueReaderFor(column.type)),
  };
}
