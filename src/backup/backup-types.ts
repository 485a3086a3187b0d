import type { BackendName } from '../backend/backend.js';
import type { TableColumn } from '../io/load-table.js';
import type { TableKind } from '../io/table-layout.js';

/** How a backup copies the data. */
export type BackupMethod = 'auto' | 'native' | 'export';

/** Options of `backupDatabase()` / `storage.backup()`. */
export interface BackupOptions {
  /**
   * `auto` (default): the engine's own tool when the backend has one and it works here (DuckDB
   * EXPORT DATABASE, SQLite online backup, pg_dump), else table exports. `native`: the engine's tool
   * or an error. `export`: one Parquet export per table (restorable into any backend).
   */
  readonly method?: BackupMethod;
  /**
   * Record each table's content checksum in the manifest, so a restore can prove it restored every
   * row. Costs one read of every table. Default true.
   */
  readonly checksums?: boolean;
  /** Where the engine's command-line tools live (`pg_dump`). Default: the usual install locations. */
  readonly toolDirectory?: string;
  readonly signal?: AbortSignal;
}

/** One table as the manifest records it. */
export interface BackupTable {
  readonly name: string;
  readonly type: TableKind;
  readonly columns: readonly TableColumn[];
  readonly rows: number;
  /** The content checksum (`table-checksum.ts`), or null when checksums were off. */
  readonly checksum: string | null;
  /** Export backups: the table's file, relative to the backup directory. */
  readonly file: string | null;
}

/** What a backup wrote. */
export interface BackupResult {
  /** The backup directory. */
  readonly path: string;
  readonly backend: BackendName;
  /** `duckdb-export-database`, `sqlite-online-backup`, `pg_dump` or `table-export`. */
  readonly method: string;
  /** Why a native backup was not possible (`auto` fell back to exports), else null. */
  readonly fallbackReason: string | null;
  readonly tables: readonly BackupTable[];
  /** Bytes written. */
  readonly bytes: number;
  readonly durationMs: number;
}

/** Options of `restoreDatabase()`. */
export interface RestoreOptions {
  /** Overwrite an existing database (file, or PostgreSQL schema holding tables). Default false. */
  readonly force?: boolean;
  /** Compare every table with the manifest after restoring (counts, checksums, metadata). Default true. */
  readonly verify?: boolean;
  readonly toolDirectory?: string;
  readonly signal?: AbortSignal;
}

/** One table after a restore, compared with the manifest. */
export interface RestoredTable {
  readonly name: string;
  readonly expectedRows: number;
  /** Rows found after the restore (null when the table is missing). */
  readonly rows: number | null;
  /** Null when the manifest has no checksum, or verification was off. */
  readonly checksumMatch: boolean | null;
  /** Null for tables without metadata, or verification off. */
  readonly metadataMatch: boolean | null;
  readonly ok: boolean;
}

/** What a restore did. */
export interface RestoreResult {
  readonly backend: BackendName;
  /** Where the database now lives (a path, or a PostgreSQL location without password). */
  readonly location: string;
  readonly method: string;
  readonly tables: readonly RestoredTable[];
  /** Every table verified equal (always true when `verify: false`). */
  readonly ok: boolean;
  readonly durationMs: number;
}
