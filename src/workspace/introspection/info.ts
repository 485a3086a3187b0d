import type { BackendName } from '../../backend/backend.js';
import type { StorageEngine } from '../../engine/storage-engine.js';

/** What `info()` reports about an open database. */
export interface DatabaseInfo {
  readonly backend: BackendName;
  /** A file path, `:memory:`, or a PostgreSQL location (never a password). */
  readonly path: string;
  readonly readOnly: boolean;
  /** Number of user tables (internal `_` tables are not counted). */
  readonly tables: number;
  /** Rows across all user tables. */
  readonly totalRows: number;
  /** Database size on disk, or null when the engine cannot tell. */
  readonly databaseBytes: number | null;
}

/** The backend, location, table count, total rows and size of the database behind `storage`. */
export async function info(storage: StorageEngine): Promise<DatabaseInfo> {
  const stats = await storage.stats();
  return {
    backend: storage.backend,
    path: storage.path,
    readOnly: storage.readOnly,
    tables: stats.tables.length,
    totalRows: stats.tables.reduce((sum, table) => sum + table.rows, 0),
    databaseBytes: stats.databaseBytes,
  };
}
