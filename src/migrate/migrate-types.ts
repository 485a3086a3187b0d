import type { BackendName } from '../backend/backend.js';
import type { TableKind } from '../io/table-layout.js';

/** Options of `migrateDatabase()`. */
export interface MigrateOptions {
  /** Only these tables (default: every user table of the source). */
  readonly tables?: readonly string[];
  /**
   * Replace a table the target already holds with different content. Default false: such a table
   * stops the migration with TableExistsError (tables with equal rows and checksum are skipped).
   */
  readonly replace?: boolean;
  /** Rows per batch read and written. Default 10,000. */
  readonly batchSize?: number;
  /** Progress per table and phase. */
  readonly onProgress?: (event: MigrationProgress) => void;
  /** Aborting rolls back the table being copied; tables already copied stay (re-run to finish). */
  readonly signal?: AbortSignal;
}

/** A progress report. */
export interface MigrationProgress {
  readonly table: string;
  /** 1-based position of the table, and how many there are. */
  readonly tableIndex: number;
  readonly tableCount: number;
  /** `compare`: checksumming a table both sides hold; `copy`: streaming rows; `verify`: checksumming the copy. */
  readonly phase: 'compare' | 'copy' | 'verify';
  /** Rows done in this phase. */
  readonly rows: number;
}

/** Row count and checksum of one side. */
export interface TableSide {
  readonly rows: number;
  readonly checksum: string;
}

/**
 * One table's outcome: `migrated` (copied and verified equal), `skipped` (already present with equal
 * rows and checksum), `mismatch` (copied, but the verification differs), `failed` (the error that
 * stopped the migration), `pending` (not reached).
 */
export type TableMigrationStatus = 'migrated' | 'skipped' | 'mismatch' | 'failed' | 'pending';

/** The comparison for one table. */
export interface TableMigration {
  readonly name: string;
  readonly type: TableKind;
  readonly status: TableMigrationStatus;
  readonly source: TableSide | null;
  readonly target: TableSide | null;
  /** Fields of the `_metadata` row that differ on the target (empty when equal or absent on both). */
  readonly metadataDifferences: readonly string[];
  /** The error message, for `failed`. */
  readonly error: string | null;
  readonly durationMs: number;
}

/** What `migrateDatabase()` did and found. */
export interface MigrationReport {
  readonly from: { readonly backend: BackendName; readonly location: string };
  readonly to: { readonly backend: BackendName; readonly location: string };
  readonly tables: readonly TableMigration[];
  /** Every table migrated or skipped, with equal counts, checksums and metadata. */
  readonly ok: boolean;
  readonly durationMs: number;
}
