import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import type {
  AppliedSetting,
  BackendConnection,
  BackendFileIo,
  CatalogColumn,
  NativeBackup,
  NativeBackupOptions,
  Session,
  SettingValue,
  SqlParams,
  StatementOptions,
  StorageStats,
} from '../../backend/backend.js';
import { DEFAULT_CAPABILITIES } from '../../backend/backend-capabilities.js';
import type { ColumnDef, WriteValue } from '../../backend/column-types.js';
import type { ResultColumn, ResultSet } from '../../backend/result-set.js';
import { DatabaseClosedError, MixpanelDataError, ReadOnlyError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { fileBytes } from '../../util/file-bytes.js';
import { DuckDbAsideSessions } from './duckdb-aside-sessions.js';
import {
  bulkMemoryLimit,
  DUCKDB_SETTING_NAMES,
  memoryLimitInForce,
  spoolMemoryLimit,
  writeThreads,
} from './duckdb-config.js';
import { duckdbDialect } from './duckdb-dialect.js';
import { mapDuckDbError } from './duckdb-errors.js';
import { backupDuckDb } from './duckdb-file-backup.js';
import { createDuckDbFileIo } from './duckdb-file-io.js';
import { HeldSetting } from './duckdb-held-setting.js';
import { describeDuckDbTable, duckDbTableBytes, listDuckDbTables } from './duckdb-introspector.js';
import { stageMixpanelExportFile } from './duckdb-mixpanel-export.js';
import type { SpoolMemory } from './duckdb-spool-writer.js';
import { appendRowsNatively } from './duckdb-table-writer.js';
import { toDuckDbParam, toJsValue } from './duckdb-values.js';

/** What the connection needs to know about where it lives and how to clean up. */
export interface DuckDbConnectionInit {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  readonly location: string;
  readonly readOnly: boolean;
  readonly fileBacked: boolean;
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** Releases the instance and removes ephemeral files; called once by `close()`. */
  readonly onClose: () => void;
}

export const DUCKDB_CAPABILITIES = Object.freeze({
  ...DEFAULT_CAPABILITIES,
  inMemory: true,
  fileBased: true,
  nativeParquet: true,
  cancelRunningStatement: true,
  cheapDropColumn: true,
  cheapDuplicateScan: true,
  nativeMixpanelExport: true,
  tempStagingForExportFiles: true,
  preparesAside: true,
  nativeFileIo: true,
  nativeBackup: true,
});

/** Runs statements on one DuckDB connection, mapping errors and values. */
class DuckDbSession implements Session {
  constructor(
    protected readonly conn: DuckDBConnection,
    readonly location: string,
    /**
     * The backend's settings, for a session running a write transaction under the bulk memory
     * limit: where large appends spool their rows (temp_directory, else the OS's temp directory)
     * and which memory limits the loads run under. Without them, appends leave both alone.
     */
    private readonly writeSettings?: Readonly<Record<string, SettingValue>>,
  ) {}

  async run(sql: string, params?: SqlParams, options?: StatementOptions): Promise<number> {
    const memory = options?.lowMemory ? this.#spoolMemory() : undefined;
    if (!memory) return (await this.execute(sql, params, options?.signal)).rowsChanged;
    // A scan of written rows that hashes narrow keys: run it under the load limit, as spool loads
    // do, and restore the transaction's limit (5M events: peak 487 → 438 MB; docs/benchmarks.md).
    await memory.beforeLoad(0);
    try {
      return (await this.execute(sql, params, options?.signal)).rowsChanged;
    } finally {
      await memory.afterLoads();
    }
  }

  async query(sql: string, params?: SqlParams, options?: StatementOptions): Promise<ResultSet> {
    const result = await this.execute(sql, params, options?.signal);
    const columns = resultColumns(result);
    const rows = (await result.convertRows(toJsValue)) as unknown[][];
    return { columns, rows };
  }

  appendRows(
    table: string,
    columns: readonly ColumnDef[],
    rows: AsyncIterable<readonly (readonly WriteValue[])[]>,
    options?: StatementOptions,
  ): Promise<number> {
    const tempDirectory = this.writeSettings?.temp_directory?.value;
    const spool = {
      ...options,
      parentDirectory: typeof tempDirectory === 'string' ? tempDirectory : undefined,
      memory: this.#spoolMemory(),
    };
    return appendRowsNatively(this.conn, table, columns, rows, spool).catch((error: unknown) => {
      throw mapDuckDbError(error, `APPEND INTO ${table}`, this.location, options?.signal);
    });
  }

  /** Memory limits around spool loads (duckdb-spool-writer.ts), when a limit is in force. */
  #spoolMemory(): SpoolMemory | undefined {
    const settings = this.writeSettings;
    const inForce = settings && memoryLimitInForce(settings);
    if (!inForce) return undefined;
    const set = async (limit: string) => {
      await this.conn.run(`SET memory_limit = '${limit}'`); // validated or computed size
    };
    return {
      beforeLoad: (minimumBytes) => set(spoolMemoryLimit(settings, minimumBytes) ?? inForce),
      afterLoads: () => set(inForce),
    };
  }

  protected async execute(sql: string, params: SqlParams | undefined, signal?: AbortSignal) {
    throwIfAborted(signal, 'Query');
    const stop = () => this.conn.interrupt();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      return await this.conn.run(sql, params?.map(toDuckDbParam));
    } catch (error) {
      throw mapDuckDbError(error, sql, this.location, signal);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }
}

function resultColumns(result: DuckDBResult): ResultColumn[] {
  const names = result.deduplicatedColumnNames();
  return names.map((name, i) => ({ name, type: result.columnType(i).toString() }));
}

/** The DuckDB implementation of {@link BackendConnection}. */
export class DuckDbConnection extends DuckDbSession implements BackendConnection {
  readonly name = 'duckdb' as const;
  readonly capabilities = DUCKDB_CAPABILITIES;
  readonly dialect = duckdbDialect;
  readonly readOnly: boolean;
  /** COPY … TO and read_parquet (capability `nativeFileIo`). */
  readonly fileIo: BackendFileIo;
  readonly #init: DuckDbConnectionInit;
  #closed = false;
  #inTransaction = false;
  readonly #memoryLimit = new HeldSetting('memory_limit');
  readonly #threads = new HeldSetting('threads');
  readonly #aside: DuckDbAsideSessions;

  constructor(init: DuckDbConnectionInit) {
    super(init.connection, init.location);
    this.#init = init;
    this.readOnly = init.readOnly;
    this.fileIo = createDuckDbFileIo(this, (work) => this.withBulkMemoryLimit(work));
    this.#aside = new DuckDbAsideSessions(init.instance, (conn) => new DuckDbSession(conn, this.location));
  }

  /** Work beside the write transaction, in the scratch database (capability `preparesAside`). */
  prepareAside<T>(work: (session: Session) => Promise<T>, options?: StatementOptions): Promise<T> {
    if (this.#closed) throw new DatabaseClosedError();
    if (this.readOnly) throw new ReadOnlyError('prepare data for a write');
    const wrap = (conn: DuckDBConnection, inner: () => Promise<T>) =>
      this.withBulkMemoryLimit(() => this.#withWriteThreads(conn, inner));
    return this.#aside.run(work, wrap, options);
  }

  /** EXPORT DATABASE into `directory` (capability `nativeBackup`). */
  backupTo(directory: string, options?: NativeBackupOptions): Promise<NativeBackup> {
    if (this.#closed) throw new DatabaseClosedError();
    return backupDuckDb(this, directory, options);
  }

  get native(): DuckDBConnection {
    return this.conn;
  }

  protected override execute(sql: string, params: SqlParams | undefined, signal?: AbortSignal) {
    if (this.#closed) throw new DatabaseClosedError();
    return super.execute(sql, params, signal);
  }

  async *stream(
    sql: string,
    params?: SqlParams,
    options: StatementOptions & { readonly batchRows?: number } = {},
  ): AsyncIterable<ResultSet> {
    if (this.#closed) throw new DatabaseClosedError();
    const batchRows = options.batchRows ?? 10_000;
    const { signal } = options;
    throwIfAborted(signal, 'Query');
    let result: DuckDBResult;
    try {
      result = await this.conn.stream(sql, params?.map(toDuckDbParam));
    } catch (error) {
      throw mapDuckDbError(error, sql, this.location, signal);
    }
    const columns = resultColumns(result);
    const types = result.columnTypes();
    let rows: unknown[][] = [];
    try {
      for (;;) {
        throwIfAborted(signal, 'Query');
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const row of chunk.getRows())
          rows.push(row.map((value, i) => toJsValue(value, types[i]!, toJsValue)));
        if (rows.length >= batchRows) {
          yield { columns, rows };
          rows = [];
        }
      }
      if (rows.length > 0) yield { columns, rows };
    } catch (error) {
      throw mapDuckDbError(error, sql, this.location, signal);
    }
    // A streaming result holds no cursor handle beyond the connection itself: abandoning it early is
    // safe, the next statement on this connection discards it.
  }

  transaction<T>(work: (session: Session) => Promise<T>): Promise<T> {
    if (this.#closed) throw new DatabaseClosedError();
    // Without a configured memory_limit DuckDB may cache up to 80% of RAM, and a long write keeps
    // every block it wrote in that cache: memory would grow with the rows loaded. The write limit
    // makes DuckDB evict them (they are on disk already) so memory stays flat.
    return this.withBulkMemoryLimit(() => this.#transaction(work));
  }

  /**
   * Runs bulk work (a write transaction, an export) under `bulk_memory_limit`. Without a configured
   * memory_limit DuckDB may cache up to 80% of RAM, and a long load or export keeps every block it
   * wrote or read in that cache: memory would grow with the rows. Under the limit DuckDB evicts
   * them (they are on disk) and memory stays flat. Held across overlapping work (`HeldSetting`).
   */
  async withBulkMemoryLimit<T>(work: () => Promise<T>): Promise<T> {
    const limit = bulkMemoryLimit(this.#init.settings);
    if (!limit) return work();
    return this.#memoryLimit.hold(this.conn, `'${limit}'`, work, () => !this.#closed); // validated size
  }

  async #transaction<T>(work: (session: Session) => Promise<T>): Promise<T> {
    if (this.#inTransaction) {
      throw new MixpanelDataError('INTERNAL', 'A write is already in progress on this storage engine.');
    }
    this.#inTransaction = true;
    // A separate connection per transaction keeps concurrent reads on the main connection out of the
    // uncommitted write: they see the last committed state, as readers in other processes do.
    const conn = await this.#init.instance.connect();
    const session = new DuckDbSession(conn, this.location, this.#init.settings);
    try {
      // Staging tables prepared aside are read by name (this connection's setting only).
      const searchPath = this.#aside.writeSearchPath;
      if (searchPath) await session.run(searchPath);
      return await this.#withWriteThreads(conn, async () => {
        await session.run('BEGIN TRANSACTION');
        try {
          const value = await work(session);
          await session.run('COMMIT');
          return value;
        } catch (error) {
          try {
            await conn.run('ROLLBACK');
          } catch {
            // The transaction may already be aborted by the failure; nothing is left to undo.
          }
          throw error;
        }
      });
    } finally {
      conn.closeSync();
      this.#inTransaction = false;
    }
  }

  /**
   * Runs write work under `write_threads`: leave a core to the JavaScript thread that feeds a write
   * (and, with a statement prepared aside, one core to each connection). Held across overlapping
   * work (a write and a preparation beside it; `HeldSetting`), SET and RESET on `conn`, the work's
   * own connection (open until the work has settled), never on the main connection readers use.
   */
  async #withWriteThreads<T>(conn: DuckDBConnection, work: () => Promise<T>): Promise<T> {
    const threads = this.readOnly ? undefined : writeThreads(this.#init.settings);
    if (!threads) return work();
    return this.#threads.hold(conn, String(threads), work); // validated whole number
  }

  stageMixpanelExport(session: Session, staging: string, path: string, options: { timeInMs: boolean }) {
    if (this.#closed) throw new DatabaseClosedError();
    return stageMixpanelExportFile(session, staging, path, options);
  }

  async listTables(): Promise<string[]> {
    if (this.#closed) throw new DatabaseClosedError();
    return listDuckDbTables(this.conn);
  }

  async describeTable(table: string): Promise<CatalogColumn[] | null> {
    if (this.#closed) throw new DatabaseClosedError();
    return describeDuckDbTable(this.conn, table);
  }

  async settings(): Promise<AppliedSetting[]> {
    const out: AppliedSetting[] = [];
    for (const name of DUCKDB_SETTING_NAMES) {
      const { rows } = await this.query('SELECT current_setting($1)', [name]);
      out.push({
        key: `database.duckdb.${name}`,
        value: String(rows[0]?.[0] ?? ''),
        source: this.#init.settings[name]?.source ?? 'engine',
      });
    }
    const writeLimit = bulkMemoryLimit(this.#init.settings);
    const configured = this.#init.settings.bulk_memory_limit?.value;
    out.push({
      key: 'database.duckdb.bulk_memory_limit',
      value:
        writeLimit === undefined
          ? 'memory_limit applies'
          : configured !== undefined && configured !== writeLimit
            ? `${writeLimit} (raised from ${String(configured)})`
            : writeLimit,
      source: this.#init.settings.bulk_memory_limit?.source ?? 'engine',
    });
    const threads = writeThreads(this.#init.settings);
    out.push({
      key: 'database.duckdb.write_threads',
      value: threads === undefined ? 'threads applies' : String(threads),
      source: this.#init.settings.write_threads?.source ?? 'engine',
    });
    out.push({ key: 'access_mode', value: this.readOnly ? 'read_only' : 'read_write', source: 'option' });
    return out;
  }

  async stats(tables: readonly { name: string; rows: number }[]): Promise<StorageStats> {
    if (this.#init.fileBacked && !this.readOnly) {
      // Fresh data sits in the WAL until a checkpoint; checkpoint so per-table sizes are real.
      await this.run('CHECKPOINT').catch(() => 0);
    }
    const memory = await this.query('SELECT sum(memory_usage_bytes) FROM duckdb_memory()');
    const perTable = [];
    for (const table of tables) {
      const bytes = this.#init.fileBacked ? await duckDbTableBytes(this.conn, table.name) : null;
      perTable.push({ ...table, bytes });
    }
    return {
      backend: 'duckdb',
      location: this.location,
      databaseBytes: this.#init.fileBacked
        ? fileBytes(this.location) + fileBytes(`${this.location}.wal`)
        : null,
      memoryBytes: Number(memory.rows[0]?.[0] ?? 0),
      tables: perTable,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#aside.close();
      this.conn.closeSync();
    } finally {
      this.#init.onClose();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
