/**
 * What a backend can do. Shared code asks for a capability, never for a backend's name.
 * A new flag starts at its safe default in {@link DEFAULT_CAPABILITIES}.
 */
export interface BackendCapabilities {
  /** The whole database can live in RAM (`StorageEngine.inMemory()`). */
  readonly inMemory: boolean;
  /** The database is a file on this machine (persistent/ephemeral modes are paths). */
  readonly fileBased: boolean;
  /** Several processes may write at once (a server mediates); if false, writers lock each other out. */
  readonly concurrentWriters: boolean;
  /** The engine can write Parquet itself (`COPY ... TO ... (FORMAT PARQUET)`). */
  readonly nativeParquet: boolean;
  /** Statements can be cancelled while running (otherwise an abort waits for the current batch). */
  readonly cancelRunningStatement: boolean;
  /**
   * Anti-joins against a large table need a B-tree index to be fast (row stores: SQLite, PostgreSQL).
   * Column stores hash-join instead, and an index would only slow their bulk appends.
   */
  readonly dedupNeedsIndex: boolean;
  /**
   * `ALTER TABLE … DROP COLUMN` is a catalog change, not a rewrite (DuckDB, PostgreSQL), so a
   * staging table can become the final table without copying its rows. SQLite rewrites the table.
   */
  readonly cheapDropColumn: boolean;
  /**
   * Looking for repeated keys in a staging table (one hash aggregate over `insert_id`) costs less
   * than the engine tracking every key in JavaScript to skip that statement (DuckDB: the tracking
   * cost ~0.6 s of the JavaScript thread per 1M events, the statement ~0.1–0.4 s on a DuckDB
   * thread). Row stores keep the tracking: their statement costs 0.8–2.9 s per 1M. Default false.
   */
  readonly cheapDuplicateScan: boolean;
  /**
   * The engine parses Mixpanel export JSONL natively (DuckDB's `read_json`), so a fetch can land the
   * raw lines in a file and load it without parsing and re-encoding each event in JavaScript.
   * Backends with this flag implement {@link BackendConnection.stageMixpanelExport}.
   */
  readonly nativeMixpanelExport: boolean;
  /**
   * A fetched export file (one chunk of a fetch) is staged in a TEMP table: it lives with the
   * transaction's connection, is never written to the database file (a failed chunk leaves the file
   * as it was), and is gone if the process dies. DuckDB: the staging INSERT of a 160k-event chunk
   * took half the time (0.60 → 0.30 s), an append 1.45 → 1.10 s. A create then copies the staged
   * rows into the new table (0.34 s) instead of dropping the staging columns, whose cost DuckDB
   * defers to the next commit (0.7 s there). Only for those files: a TEMP table of an unbounded
   * JavaScript source would have to spill to disk. Default false.
   */
  readonly tempStagingForExportFiles: boolean;
  /**
   * The connection runs work aside from the write transaction, on a session of its own whose
   * tables every later write transaction reads by name ({@link BackendConnection.prepareAside}):
   * a fetch parses, transforms and dedups one chunk there while the previous chunk is being
   * written, so two cores work at once (DuckDB, six chunks of 160k events: 5.3 → 3.6 s).
   * Default false.
   */
  readonly preparesAside: boolean;
  /**
   * The engine reads and writes Parquet and CSV files itself, and the connection exposes that as
   * {@link BackendConnection.fileIo} (DuckDB's `COPY … TO` and `read_parquet`). Without it, shared
   * code streams rows out and lets another engine with this ability write the file. Default false.
   */
  readonly nativeFileIo: boolean;
  /**
   * The connection backs the whole database up with the engine's own tool
   * ({@link BackendConnection.backupTo}) and its factory restores it
   * ({@link BackendFactory.restoreBackup}): DuckDB `EXPORT DATABASE`, SQLite's online backup,
   * PostgreSQL `pg_dump`/`pg_restore`. Without it, backups are portable table exports. Default false.
   */
  readonly nativeBackup: boolean;
}

/** Conservative defaults: a backend opts in to each ability. */
export const DEFAULT_CAPABILITIES: BackendCapabilities = Object.freeze({
  inMemory: false,
  fileBased: false,
  concurrentWriters: false,
  nativeParquet: false,
  cancelRunningStatement: false,
  dedupNeedsIndex: false,
  cheapDropColumn: false,
  cheapDuplicateScan: false,
  nativeMixpanelExport: false,
  tempStagingForExportFiles: false,
  preparesAside: false,
  nativeFileIo: false,
  nativeBackup: false,
});
