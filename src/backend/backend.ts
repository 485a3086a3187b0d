import type { BackendCapabilities } from './backend-capabilities.js';
import type { ColumnDef, WriteValue } from './column-types.js';
import type { ResultSet } from './result-set.js';
import type { SqlDialect } from './sql-dialect.js';

/** The names of the backends this package ships. */
export type BackendName = 'duckdb' | 'sqlite' | 'postgres';

/** The storage modes of seed 000: a named database, a throwaway one, or RAM only. */
export type StorageMode = 'persistent' | 'ephemeral' | 'memory';

/** Positional parameters bound to `?`/`$n` placeholders. Values are never inlined into SQL. */
export type SqlParams = readonly unknown[];

/** Options for one statement. */
export interface StatementOptions {
  /** Cancels the statement (or stops between batches where the engine cannot cancel). */
  readonly signal?: AbortSignal;
  /**
   * A hint that the statement hashes narrow keys of rows already written (the duplicate scan of a
   * new table): a backend holding a memory limit during bulk work may run it under its lower load
   * limit (DuckDB), which keeps a large load's peak down. Not for statements reading uncommitted
   * in-memory data such as TEMP tables, which a lower limit would push to disk.
   */
  readonly lowMemory?: boolean;
}

/**
 * What every backend can do on one connection. Inside {@link BackendConnection.transaction} the
 * same calls run in the transaction.
 */
export interface Session {
  /** Runs a statement that returns no rows; resolves to the number of rows changed (0 if unknown). */
  run(sql: string, params?: SqlParams, options?: StatementOptions): Promise<number>;
  /** Runs a query and materialises every row. */
  query(sql: string, params?: SqlParams, options?: StatementOptions): Promise<ResultSet>;
  /**
   * The native bulk path (DuckDB Appender, SQLite prepared insert, PostgreSQL COPY FROM STDIN):
   * appends every batch of `rows` (values in `columns` order) to the existing `table` of the current
   * schema. Resolves to the number of rows written. Must check `signal` between batches.
   */
  appendRows(
    table: string,
    columns: readonly ColumnDef[],
    rows: AsyncIterable<readonly (readonly WriteValue[])[]>,
    options?: StatementOptions,
  ): Promise<number>;
}

/** A column as the catalog describes it. */
export interface CatalogColumn {
  readonly name: string;
  /** The engine's type name. */
  readonly type: string;
  readonly nullable: boolean;
  readonly primaryKey: boolean;
}

/** A configuration setting as the running engine reports it. */
export interface AppliedSetting {
  /** Dotted config key, e.g. `database.duckdb.memory_limit`. */
  readonly key: string;
  /** The value the engine reports now (read back, not echoed from config). */
  readonly value: string;
  /** Where the requested value came from: `default`, `file`, `env`, `option` or `engine` (untouched). */
  readonly source: string;
}

/** Size and memory figures for `storage.stats()`. Byte counts are `null` when the engine cannot tell. */
export interface StorageStats {
  readonly backend: BackendName;
  readonly location: string;
  /** Database size on disk (file, or PostgreSQL schema total). */
  readonly databaseBytes: number | null;
  /** Memory the engine itself reports using. */
  readonly memoryBytes: number | null;
  readonly tables: readonly { readonly name: string; readonly rows: number; readonly bytes: number | null }[];
}

/** An open database. One per StorageEngine; the engine serialises writes. */
export interface BackendConnection extends Session, AsyncDisposable {
  readonly name: BackendName;
  readonly capabilities: BackendCapabilities;
  readonly dialect: SqlDialect;
  /** Human-readable location for messages: a path, `:memory:`, or host/db/schema without password. */
  readonly location: string;
  readonly readOnly: boolean;
  /** The driver's own handle (DuckDBConnection, better-sqlite3 Database, pg Client) for advanced use. */
  readonly native: unknown;
  /** Streams a query's rows in batches of about `batchRows`; the cursor is released on early exit. */
  stream(
    sql: string,
    params?: SqlParams,
    options?: StatementOptions & { readonly batchRows?: number },
  ): AsyncIterable<ResultSet>;
  /** Runs `work` in one transaction: commit if it resolves, roll back if it throws. Not re-entrant. */
  transaction<T>(work: (session: Session) => Promise<T>): Promise<T>;
  /** Names of the tables in the current database/schema, internal ones (`_...`) included. */
  listTables(): Promise<string[]>;
  /** Columns of `table`, or `null` if it does not exist. */
  describeTable(table: string): Promise<CatalogColumn[] | null>;
  /** Every applied configuration setting, read back from the engine. */
  settings(): Promise<AppliedSetting[]>;
  /** Sizes per table and for the whole database; engine memory. */
  stats(tables: readonly { name: string; rows: number }[]): Promise<StorageStats>;
  /** Closes the connection; idempotent. Ephemeral databases are removed. */
  close(): Promise<void>;
  /**
   * Only with `capabilities.nativeMixpanelExport`: inserts the events of a Mixpanel export JSONL
   * file into an existing events staging table (columns of `EVENT_STAGING_COLUMNS`), deriving
   * insert ids for events without one; resolves to the rows staged. Runs on `session`.
   */
  stageMixpanelExport?(
    session: Session,
    staging: string,
    path: string,
    options: { timeInMs: boolean },
  ): Promise<number>;
  /**
   * Only with `capabilities.preparesAside`: runs `work` on a session of its own, beside the write
   * transaction (and outside the write queue), in a private scratch database: tables created there
   * are readable by name from every later write transaction of this connection, which must not
   * write to them (drop them with another `prepareAside`). Each statement commits on its own; the
   * scratch database is never written to the database file and is gone with the process. Runs
   * under the same bulk settings as a write; `signal` interrupts the running statement.
   */
  prepareAside?<T>(work: (session: Session) => Promise<T>, options?: StatementOptions): Promise<T>;
  /**
   * The engine's own file reader and writer. Present only when `capabilities.nativeFileIo`;
   * default absent, and shared code then streams rows through JavaScript instead.
   */
  readonly fileIo?: BackendFileIo;
  /**
   * Runs bulk work (here: an export) under the backend's bulk memory settings, so a long scan does
   * not grow the engine's cache with every block it reads (DuckDB: `bulk_memory_limit`). Optional;
   * absent means the work runs as is.
   */
  withBulkMemoryLimit?<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Backs the whole database up with the engine's own tool, writing its files inside `directory`
   * (which exists and is empty). Present only when `capabilities.nativeBackup`; default absent (backups
   * are then portable table exports). May reject with `UnsupportedError` when the tool is missing at
   * run time, which callers treat like an absent member.
   */
  backupTo?(directory: string, options?: NativeBackupOptions): Promise<NativeBackup>;
}

/** File formats the import and export paths know. */
export type FileFormat = 'parquet' | 'csv' | 'jsonl';

/** Compression codecs: Parquet takes all four; CSV and JSON lines take `gzip` and `none`. */
export type FileCompression = 'zstd' | 'snappy' | 'gzip' | 'none';

/** Where a native export writes, in which format. */
export interface NativeFileTarget {
  /** Absolute path of the file to (over)write. */
  readonly path: string;
  readonly format: FileFormat;
  readonly compression: FileCompression;
  /**
   * Keep the rows in the order the query (or spool) yields them. Default true. A table has no order:
   * `false` lets the writer emit rows as its threads finish them, in much less memory.
   */
  readonly ordered?: boolean;
}

/**
 * A JSON-lines spool written by shared code and converted by a native writer: one object per line
 * with keys `c0 … cN` (the position in `columns`, so column names never reach SQL text unquoted).
 * Values: timestamps and dates as ISO-8601 text, 64-bit integers as bare digits, JSON columns as JSON
 * *strings* holding the document's text, NULL as `null`.
 */
export interface SpoolFile {
  readonly path: string;
  /** The output columns, by position; their names label the written file's columns. */
  readonly columns: readonly ColumnDef[];
}

/** The engine's own file reader and writer (capability `nativeFileIo`). */
export interface BackendFileIo {
  /** Writes the rows of `sql` (its `params` bound) to `target` (Parquet or CSV); resolves to the rows written. */
  exportQuery(
    sql: string,
    params: SqlParams,
    target: NativeFileTarget,
    options?: StatementOptions,
  ): Promise<number>;
  /** Converts a {@link SpoolFile} into `target` without holding it in memory; resolves to the rows written. */
  convertSpool(spool: SpoolFile, target: NativeFileTarget, options?: StatementOptions): Promise<number>;
  /** Streams the rows of a Parquet file in batches, values following the value rule. */
  readParquet(
    path: string,
    options?: StatementOptions & { readonly batchRows?: number },
  ): AsyncIterable<ResultSet>;
  /**
   * Plans loading an events or profiles file with the engine's own reader, straight into a staging
   * table of this connection. Resolves to a plan, or to the reason the file needs the JavaScript
   * path. Optional: without it, every file is read in JavaScript.
   */
  planImport?(file: NativeImportFile, options?: StatementOptions): Promise<NativeImportPlan>;
}

/** A file offered to {@link BackendFileIo.planImport}. */
export interface NativeImportFile {
  /** Which table the file fills (and so which staging table). */
  readonly type: 'events' | 'profiles';
  /**
   * `columns`: one row per record with the table's columns (Parquet, CSV, JSON lines). `mixpanel`:
   * JSON lines in Mixpanel's shapes — raw events `{"event", "properties"}`, Engage profiles
   * `{"$distinct_id", "$properties"}` — with this package's `$mp_restore` members (see
   * `io/mixpanel-lines.ts`).
   */
  readonly layout: 'columns' | 'mixpanel';
  readonly path: string;
  readonly format: FileFormat;
  /** The file is gzip-compressed (CSV, JSON lines). */
  readonly gzip: boolean;
  /** CSV: the header's column names, in file order. Otherwise null. */
  readonly header: readonly string[] | null;
  /** Mixpanel lines whose `time` is in milliseconds (else seconds). */
  readonly timeInMs: boolean;
}

/** Whether (and how) an engine stages a file itself. */
export type NativeImportPlan =
  | {
      readonly native: true;
      /**
       * Inserts every row of the file into `staging` (the staging columns of the file's type, `_seq`
       * = 1-based row position) with the same validation as the JavaScript path; resolves to the rows
       * staged. A rejected row fails the statement (InvalidRecordError naming the row and field).
       */
      stage(session: Session, staging: string, options?: StatementOptions): Promise<number>;
    }
  | { readonly native: false; readonly reason: string };

/** Options of a native backup or restore. */
export interface NativeBackupOptions {
  readonly signal?: AbortSignal;
  /** Directory holding the engine's command-line tools (`pg_dump`, `pg_restore`). Default: searched. */
  readonly toolDirectory?: string;
}

/** What a native backup wrote: how, and which files (relative to the backup directory). */
export interface NativeBackup {
  /** e.g. `duckdb-export-database`, `sqlite-online-backup`, `pg_dump`. */
  readonly method: string;
  readonly files: readonly string[];
  /** Backend-specific facts the restore needs (the dumped schema name...), JSON-safe. */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

/** Options of {@link BackendFactory.restoreBackup}. */
export interface NativeRestoreOptions extends NativeBackupOptions {
  /** Overwrite an existing database. Default false: an existing one is refused. */
  readonly force?: boolean;
}

/** A configured value with its origin, as the config layer hands it to a backend. */
export interface SettingValue {
  readonly value: string | number | boolean;
  readonly source: string;
}

/** Everything a backend needs to open a database. */
export interface OpenRequest {
  readonly mode: StorageMode;
  /** Database file (DuckDB, SQLite) for persistent mode. */
  readonly path?: string;
  readonly readOnly: boolean;
  /** Wait up to this long for another process's lock to go away. Default 0 (fail at once). */
  readonly lockTimeoutMs?: number;
  /** Backend settings keyed by their short key (`memory_limit`, `journal_mode`, `host`...). */
  readonly settings: Readonly<Record<string, SettingValue>>;
  readonly signal?: AbortSignal;
}

/** A backend module's entry point (what `backends/<name>/index.ts` exports). */
export interface BackendFactory {
  readonly name: BackendName;
  readonly capabilities: BackendCapabilities;
  open(request: OpenRequest): Promise<BackendConnection>;
  /**
   * Restores a backup made by this backend's {@link BackendConnection.backupTo} from `directory`
   * into the database `request` describes (persistent mode), atomically where the engine allows.
   * Refuses an existing database unless `options.force`. Present only when
   * `capabilities.nativeBackup`; default absent.
   */
  restoreBackup?(
    directory: string,
    backup: NativeBackup,
    request: OpenRequest,
    options?: NativeRestoreOptions,
  ): Promise<void>;
}
