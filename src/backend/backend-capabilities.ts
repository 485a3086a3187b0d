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
});
