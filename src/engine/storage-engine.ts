import type { Table } from 'apache-arrow';
import type {
  AppliedSetting,
  BackendConnection,
  BackendName,
  SettingValue,
  SqlParams,
  StorageMode,
  StorageStats,
} from '../backend/backend.js';
import { loadBackend } from '../backend/backend-registry.js';
import type { ResultSet } from '../backend/result-set.js';
import type { SqlDialect } from '../backend/sql-dialect.js';
import type { BackupOptions, BackupResult } from '../backup/backup-types.js';
import type { Config } from '../config/index.js';
import { ReadOnlyError, TableNotFoundError, UnsupportedError } from '../errors.js';
import type { ExportOptions, ExportResult } from '../io/export-types.js';
import type { ImportOptions, ImportResult } from '../io/import-types.js';
import type { TableLoad } from '../io/load-table.js';
import { toArrowTable } from '../query/arrow-table.js';
import { resolveBackend } from './backend-settings.js';
import { MetadataStore } from './metadata-store.js';
import { canLoadExportFiles, type MixpanelExportFile } from './mixpanel-export-file.js';
import { canPrepareExportFiles, type PreparedExportFile, prepareExportFile } from './prepared-export-file.js';
import type { RecordSource } from './record-batches.js';
import type {
  AppendResult,
  CreateTableOptions,
  EventRecord,
  IngestOptions,
  ProfileRecord,
  StoredTableMetadata,
  TableMetadata,
  TableType,
} from './records.js';
import { EVENTS, PROFILES } from './table-loading.js';
import { assertUserTableName } from './table-name.js';
import { METADATA_TABLE } from './table-schemas.js';
import {
  type AppendMetadata,
  appendEvents,
  appendProfiles,
  createTable,
  renameTable as renameTableIn,
} from './table-writes.js';
import { WriteQueue } from './write-queue.js';

/** How to open a database. */
export interface StorageOpenOptions {
  /** Database file for DuckDB and SQLite (created on a read-write open). */
  readonly path?: string;
  /** Which engine. Default: `database.default_backend` from the configuration (itself `duckdb`). */
  readonly backend?: BackendName;
  /**
   * Configuration to take the default backend and its settings from. Default: `loadConfig()`, i.e.
   * `~/.mp/config.toml` (or `MP_CONFIG_PATH`) plus the `MP_*` environment variables.
   */
  readonly config?: Config;
  /** Open for reading only: many readers may share the file; writes fail with `ReadOnlyError`. */
  readonly readOnly?: boolean;
  /** Wait up to this many ms for another process's lock before failing with `DatabaseLockedError`. */
  readonly lockTimeoutMs?: number;
  /**
   * Backend settings by short key (`memory_limit`, `journal_mode`, `host`...), each optionally with
   * the source it came from. Plain values count as source `option`.
   */
  readonly settings?: Readonly<Record<string, string | number | boolean | SettingValue>>;
  readonly signal?: AbortSignal;
}

/** A row of `listTables()`. */
export interface TableInfo {
  readonly name: string;
  /** `events`, `profiles`, or `other` for tables created by hand with SQL. */
  readonly type: TableType | 'other';
  readonly rowCount: number;
  readonly fetchedAt: Date | null;
  readonly fromDate: string | null;
  readonly toDate: string | null;
}

/** A column of `getSchema()`. */
export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly primaryKey: boolean;
}

/** The result of `getSchema()`. */
export interface TableSchema {
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
}

/** Options of `stream()`. */
export interface StreamOptions {
  /** Rows per yielded batch. Default 10,000. */
  readonly batchRows?: number;
  readonly signal?: AbortSignal;
}

/** Options of the `execute*` methods. */
export interface ExecuteOptions {
  readonly signal?: AbortSignal;
}

/**
 * The storage engine: one open database (DuckDB by default, or SQLite / PostgreSQL) holding events
 * and profiles tables plus their `_metadata`. Writes are atomic and serialised; reads are concurrent.
 *
 * ```ts
 * await using storage = await StorageEngine.ephemeral();
 * await storage.createEventsTable('events', records, { type: 'events' });
 * const top = await storage.executeObjects('SELECT event_name, count(*) AS n FROM events GROUP BY 1');
 * ```
 */
export class StorageEngine implements AsyncDisposable {
  readonly #backend: BackendConnection;
  readonly #metadata: MetadataStore;
  readonly #writes = new WriteQueue();
  /** How this engine was opened. */
  readonly mode: StorageMode;

  private constructor(backend: BackendConnection, mode: StorageMode) {
    this.#backend = backend;
    this.#metadata = new MetadataStore(backend.dialect);
    this.mode = mode;
  }

  /** Opens a persistent database (read-write by default, creating the file). */
  static async open(options: StorageOpenOptions = {}): Promise<StorageEngine> {
    return StorageEngine.#openMode('persistent', options);
  }

  /** A throwaway database removed on `close()`, on `await using` exit, and when the process ends. */
  static async ephemeral(
    options: Omit<StorageOpenOptions, 'path' | 'readOnly'> = {},
  ): Promise<StorageEngine> {
    return StorageEngine.#openMode('ephemeral', options);
  }

  /** A database in RAM only (DuckDB, SQLite). */
  static async inMemory(options: Omit<StorageOpenOptions, 'path' | 'readOnly'> = {}): Promise<StorageEngine> {
    return StorageEngine.#openMode('memory', options);
  }

  static async #openMode(mode: StorageMode, options: StorageOpenOptions): Promise<StorageEngine> {
    const resolved = resolveBackend(options.backend, options.settings, options.config);
    const factory = await loadBackend(resolved.backend);
    if (mode === 'memory' && !factory.capabilities.inMemory) {
      throw new UnsupportedError(
        `The ${factory.name} backend has no in-memory mode; use StorageEngine.ephemeral() for a throwaway database.`,
      );
    }
    const backend = await factory.open({
      mode,
      ...(options.path === undefined ? {} : { path: options.path }),
      readOnly: options.readOnly ?? false,
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      settings: resolved.settings,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return new StorageEngine(backend, mode);
  }

  /** The backend in use. */
  get backend(): BackendName {
    return this.#backend.name;
  }

  /** Where the data lives: a file path, `:memory:`, or a PostgreSQL location (never a password). */
  get path(): string {
    return this.#backend.location;
  }

  /** The SQL dialect of the backend (identifier quoting, placeholders, type names). */
  get dialect(): SqlDialect {
    return this.#backend.dialect;
  }

  /** True when `create/appendEventsTable` accept a {@link MixpanelExportFile} (native JSON loading). */
  get supportsMixpanelExportFiles(): boolean {
    return canLoadExportFiles(this.#backend);
  }

  /**
   * True when {@link prepareExportFile} works here (DuckDB): a Mixpanel export file can be parsed
   * and deduplicated beside a running write.
   */
  get supportsPreparedExportFiles(): boolean {
    return !this.#backend.readOnly && canPrepareExportFiles(this.#backend);
  }

  get readOnly(): boolean {
    return this.#backend.readOnly;
  }

  /**
   * The driver's own connection for advanced use (DuckDB: a `DuckDBConnection`; SQLite: a
   * better-sqlite3 `Database`; PostgreSQL: a `pg.Pool`). Statements run there bypass the engine's
   * error mapping and write serialisation.
   */
  get connection(): unknown {
    return this.#backend.native;
  }

  // ---- writes -------------------------------------------------------------------------------

  #write<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.#backend.readOnly) return Promise.reject(new ReadOnlyError(operation));
    return this.#writes.run(work);
  }

  #context() {
    return { connection: this.#backend, metadata: this.#metadata };
  }

  /**
   * Creates an events table from any (async) iterable of records; resolves to the rows stored.
   * Duplicates within the source (Mixpanel's rule: name, distinct_id, time, insert_id) are stored
   * once, keeping the copy with the largest `mp_processing_time_ms`, then the later one.
   */
  async createEventsTable(
    name: string,
    source: RecordSource<EventRecord> | MixpanelExportFile | PreparedExportFile,
    metadata: TableMetadata = { type: 'events' },
    options: CreateTableOptions = {},
  ): Promise<number> {
    assertUserTableName(name);
    return this.#write('create a table', () =>
      createTable(this.#context(), EVENTS, name, source, { ...metadata, type: 'events' }, options),
    );
  }

  /**
   * Parses, transforms and deduplicates a Mixpanel export file into a private staging table now,
   * outside the write queue, so that it runs beside another write: a fetch prepares one chunk while
   * the previous chunk is being written, and the two use a core each. Pass the result ONCE to
   * {@link createEventsTable} or {@link appendEventsTable} in place of the file (the write then
   * moves the staged rows in one transaction, as always), then release it; `await using` works.
   * A bad record rejects here with the same `InvalidRecordError` the write would raise. Only where
   * {@link supportsPreparedExportFiles}.
   *
   * @example
   * await using prepared = await storage.prepareExportFile(new MixpanelExportFile(path));
   * await storage.appendEventsTable('events', prepared);
   */
  async prepareExportFile(
    file: MixpanelExportFile,
    options: { signal?: AbortSignal } = {},
  ): Promise<PreparedExportFile> {
    if (this.#backend.readOnly) throw new ReadOnlyError('prepare an export file');
    return prepareExportFile(this.#backend, file, options);
  }

  /** Creates a profiles table; one row per distinct_id (the newest `last_seen` wins). */
  async createProfilesTable(
    name: string,
    source: RecordSource<ProfileRecord>,
    metadata: TableMetadata = { type: 'profiles' },
    options: CreateTableOptions = {},
  ): Promise<number> {
    assertUserTableName(name);
    return this.#write('create a table', () =>
      createTable(this.#context(), PROFILES, name, source, { ...metadata, type: 'profiles' }, options),
    );
  }

  /** Appends events, skipping those already stored; reports how many were inserted and skipped. */
  async appendEventsTable(
    name: string,
    source: RecordSource<EventRecord> | MixpanelExportFile | PreparedExportFile,
    options: IngestOptions & AppendMetadata = {},
  ): Promise<AppendResult> {
    assertUserTableName(name);
    return this.#write('append to a table', () =>
      appendEvents(this.#context(), name, source, options, options),
    );
  }

  /** Upserts profiles: an incoming profile replaces the stored one unless the stored one is newer. */
  async appendProfilesTable(
    name: string,
    source: RecordSource<ProfileRecord>,
    options: IngestOptions & AppendMetadata = {},
  ): Promise<AppendResult> {
    assertUserTableName(name);
    return this.#write('append to a table', () =>
      appendProfiles(this.#context(), name, source, options, options),
    );
  }

  /** Renames a table with its metadata, atomically; `replace` drops an existing target in the same transaction. */
  async renameTable(from: string, to: string, options: { replace?: boolean } = {}): Promise<void> {
    assertUserTableName(from);
    assertUserTableName(to);
    return this.#write('rename a table', () =>
      renameTableIn(this.#context(), from, to, options.replace ?? false),
    );
  }

  /** Drops a table and its metadata in one transaction. */
  async dropTable(name: string): Promise<void> {
    assertUserTableName(name);
    return this.#write('drop a table', async () => {
      const tables = await this.#backend.listTables();
      if (!tables.includes(name)) throw new TableNotFoundError(name);
      await this.#backend.transaction(async (session) => {
        await session.run(`DROP TABLE ${this.#backend.dialect.quoteIdentifier(name)}`);
        if (tables.includes(METADATA_TABLE)) await this.#metadata.remove(session, name);
      });
    });
  }

  // ---- queries ------------------------------------------------------------------------------

  /** Runs SQL and returns the rows as plain objects (the DataFrame-records equivalent). */
  async executeObjects(
    sql: string,
    params?: SqlParams,
    options: ExecuteOptions = {},
  ): Promise<Record<string, unknown>[]> {
    return toObjects(await this.#backend.query(sql, params, options));
  }

  /** Runs SQL and returns `{ columns, rows }` with rows as arrays in column order. */
  async executeRows(sql: string, params?: SqlParams, options: ExecuteOptions = {}): Promise<ResultSet> {
    return this.#backend.query(sql, params, options);
  }

  /** The first column of the first row, or `null` when there is no row. */
  async executeScalar(sql: string, params?: SqlParams, options: ExecuteOptions = {}): Promise<unknown> {
    const { rows } = await this.#backend.query(sql, params, options);
    return rows[0]?.[0] ?? null;
  }

  /** The result as an Apache Arrow table (the columnar DataFrame equivalent). */
  async executeArrow(sql: string, params?: SqlParams, options: ExecuteOptions = {}): Promise<Table> {
    return toArrowTable(await this.#backend.query(sql, params, options));
  }

  /** Runs a statement that returns no rows (DDL, UPDATE...); resolves to the rows changed. */
  execute(sql: string, params?: SqlParams, options: ExecuteOptions = {}): Promise<number> {
    return this.#backend.run(sql, params, options);
  }

  /** Streams the result as batches of row objects; memory holds one batch at a time. */
  async *stream(
    sql: string,
    params?: SqlParams,
    options: StreamOptions = {},
  ): AsyncGenerator<Record<string, unknown>[]> {
    for await (const batch of this.#backend.stream(sql, params, options)) yield toObjects(batch);
  }

  /** Streams the result as `{ columns, rows }` batches (for writers that need column order). */
  streamRows(sql: string, params?: SqlParams, options: StreamOptions = {}): AsyncIterable<ResultSet> {
    return this.#backend.stream(sql, params, options);
  }

  // ---- introspection ------------------------------------------------------------------------

  /** User tables (internal `_` tables hidden) with their type, row count and fetch range. */
  async listTables(): Promise<TableInfo[]> {
    const names = await this.#backend.listTables();
    const metadata = names.includes(METADATA_TABLE)
      ? await this.#metadata.readAll(this.#backend)
      : new Map<string, StoredTableMetadata>();
    const out: TableInfo[] = [];
    for (const name of names) {
      if (name.startsWith('_')) continue;
      const meta = metadata.get(name);
      const rowCount = meta
        ? meta.rowCount
        : Number(
            await this.executeScalar(`SELECT count(*) FROM ${this.#backend.dialect.quoteIdentifier(name)}`),
          );
      out.push({
        name,
        type: meta?.type ?? 'other',
        rowCount,
        fetchedAt: meta?.fetchedAt ?? null,
        fromDate: meta?.fromDate ?? null,
        toDate: meta?.toDate ?? null,
      });
    }
    return out;
  }

  /** Column names and types of a table. */
  async getSchema(name: string): Promise<TableSchema> {
    const columns = await this.#backend.describeTable(name);
    if (!columns) throw new TableNotFoundError(name);
    return { name, columns };
  }

  /** The stored `_metadata` row of a table. */
  async getMetadata(name: string): Promise<StoredTableMetadata> {
    const tables = await this.#backend.listTables();
    if (!tables.includes(name)) throw new TableNotFoundError(name);
    const meta = tables.includes(METADATA_TABLE) ? await this.#metadata.read(this.#backend, name) : null;
    if (!meta) throw new TableNotFoundError(name, { details: { reason: 'the table has no metadata' } });
    return meta;
  }

  /** Whether a table exists. */
  async tableExists(name: string): Promise<boolean> {
    return (await this.#backend.listTables()).includes(name);
  }

  /** Every applied engine setting, read back from the engine, with where its value came from. */
  settings(): Promise<AppliedSetting[]> {
    return this.#backend.settings();
  }

  /** Row counts and sizes per table, database size and engine memory. */
  async stats(): Promise<StorageStats> {
    const tables = await this.listTables();
    return this.#backend.stats(tables.map((t) => ({ name: t.name, rows: t.rowCount })));
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Closes the database (waiting for a running write); idempotent. Ephemeral databases are removed. */
  async close(): Promise<void> {
    await this.#writes.run(async () => undefined);
    await this.#backend.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- files, migration and backup (src/io, src/backup: loaded on first use) ----------------

  /**
   * Writes a table to a Parquet, CSV or JSON-lines file, streaming (memory holds one batch), plus a
   * `<path>.meta.json` sidecar carrying its columns, row count and `_metadata` row. Parquet keeps
   * types (timestamps as timestamps, JSON as JSON text); JSON lines use Mixpanel's own shapes for
   * events and profiles, so the file re-imports losslessly. See docs/files-and-migration.md.
   */
  async exportTable(name: string, options: ExportOptions): Promise<ExportResult> {
    const { exportTable } = await import('../io/export-table.js');
    return exportTable({ storage: this, backend: this.#backend }, name, options);
  }

  /** Writes the result of a query to a file, like {@link exportTable} (one object per row in JSON lines). */
  async exportQuery(
    sql: string,
    params: SqlParams | undefined,
    options: ExportOptions,
  ): Promise<ExportResult> {
    const { exportQuery } = await import('../io/export-table.js');
    return exportQuery({ storage: this, backend: this.#backend }, sql, params, options);
  }

  /**
   * Imports a file into table `name` with the same validation, dedup and atomicity as a fetch:
   * Mixpanel export JSON lines (gzip or not), flat JSON lines / CSV / Parquet with the table's
   * columns, and this package's own exports (whose sidecar restores `_metadata` and is verified).
   */
  async importFile(name: string, path: string, options: ImportOptions = {}): Promise<ImportResult> {
    assertUserTableName(name);
    if (this.#backend.readOnly) throw new ReadOnlyError('import a file');
    const { importFile } = await import('../io/import-file.js');
    return importFile({ storage: this, backend: this.#backend }, name, path, options);
  }

  /**
   * Creates (or with `replace`, atomically replaces) a table from records or rows, restoring a given
   * `_metadata` row verbatim in the same transaction: the building block of migration and restore.
   */
  async loadTable(name: string, load: TableLoad, options: CreateTableOptions = {}): Promise<number> {
    assertUserTableName(name);
    return this.#write('load a table', async () => {
      const { loadTable } = await import('../io/load-table.js');
      return loadTable(this.#context(), name, load, options);
    });
  }

  /** Overwrites the `_metadata` row of table `name` with exactly `metadata` (times and version included). */
  async restoreMetadata(name: string, metadata: StoredTableMetadata): Promise<void> {
    assertUserTableName(name);
    return this.#write('restore metadata', async () => {
      if (!(await this.#backend.listTables()).includes(name)) throw new TableNotFoundError(name);
      const { restoreMetadataRow } = await import('../io/load-table.js');
      return restoreMetadataRow(this.#context(), name, metadata);
    });
  }

  /**
   * Backs the database up into the new directory `directory` with the engine's own tool (DuckDB
   * EXPORT DATABASE, SQLite online backup, pg_dump) or, without one, as table exports; writes a
   * `manifest.json` with every table's row count and checksum. Same as `backupDatabase(this, directory)`.
   */
  async backup(directory: string, options: BackupOptions = {}): Promise<BackupResult> {
    const { writeBackup } = await import('../backup/backup-database.js');
    return writeBackup({ storage: this, backend: this.#backend }, directory, options);
  }
}

function toObjects(result: ResultSet): Record<string, unknown>[] {
  const names = result.columns.map((c) => c.name);
  return result.rows.map((row) => {
    const obj: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) obj[names[i]!] = row[i];
    return obj;
  });
}
