import type { FileFormat } from './file-options.js';
import type { TableKind } from './table-layout.js';

/** Options of `storage.importFile()`. */
export interface ImportOptions {
  /**
   * What the file holds: `events`, `profiles`, or `other` (any table, from this package's own
   * exports or a Parquet file). Default: the sidecar's type; required without a sidecar.
   */
  readonly type?: TableKind;
  /** `parquet`, `csv` or `jsonl`. Default: from the file name (`.gz` allowed; gzip is also detected from the content). */
  readonly format?: FileFormat;
  /** Add to an existing table, with the engine's dedup (events) or upsert (profiles) rules. */
  readonly append?: boolean;
  /** Replace an existing table atomically. Without append or replace, an existing table is TableExistsError. */
  readonly replace?: boolean;
  /** Raw Mixpanel events whose `time` is in milliseconds (export API `time_in_ms`). Default false: seconds. */
  readonly timeInMs?: boolean;
  /**
   * The sidecar to restore `_metadata` and verify from. Default `<path>.meta.json` when it exists;
   * `false` ignores any sidecar.
   */
  readonly sidecar?: string | false;
  /** Records per batch handed to the bulk path. Default 10,000. */
  readonly batchSize?: number;
  /** Called with the records read so far. */
  readonly onProgress?: (rows: number) => void;
  /** Aborting rolls the import back: the table is left as it was. */
  readonly signal?: AbortSignal;
}

/** What an import checked against its sidecar. */
export interface ImportVerification {
  /** Rows the sidecar says the export held. */
  readonly expectedRows: number;
  /** Rows the table holds after the import. */
  readonly actualRows: number;
  /** The sidecar's checksum, when the export recorded one. */
  readonly expectedChecksum: string | null;
  /** The table's checksum after the import (computed only when there is one to compare with). */
  readonly actualChecksum: string | null;
  /** Row counts (and checksums, when present) agree. */
  readonly ok: boolean;
}

/**
 * How an import read its file: `native` when the database's own reader loaded the rows (DuckDB's
 * `read_parquet` / `read_csv` / `read_json`, no JavaScript per row), `javascript` otherwise.
 */
export type ImportLane = 'native' | 'javascript';

/** What an import did. */
export interface ImportResult {
  readonly table: string;
  readonly type: TableKind;
  readonly format: FileFormat;
  readonly path: string;
  /** Records read from the file. */
  readonly rowsRead: number;
  /** Rows added to the table (a create or replace: the rows stored). */
  readonly inserted: number;
  /** Profiles replaced by a newer copy (appends only). */
  readonly updated: number;
  /** Records skipped as duplicates. */
  readonly duplicates: number;
  /** True when `_metadata` was restored from the sidecar. */
  readonly metadataRestored: boolean;
  /** Which reader loaded the rows (see docs/files-and-migration.md, "Native import on DuckDB"). */
  readonly lane: ImportLane;
  /**
   * Why a backend with a native reader read this events or profiles file in JavaScript (e.g. a column type it
   * cannot map exactly, or a row it rejected, after which the JavaScript path re-read the file).
   * Null when the native lane was taken or the backend has none.
   */
  readonly laneReason: string | null;
  /** The sidecar check of a create or replace; null for appends and files without a sidecar. */
  readonly verification: ImportVerification | null;
  readonly durationMs: number;
}
