import type { FileCompression, FileFormat } from './file-options.js';
import type { TableKind } from './table-layout.js';

/** Options of `storage.exportTable()` and `storage.exportQuery()`. */
export interface ExportOptions {
  /** The file to write. Its directory is created when missing. */
  readonly path: string;
  /** `parquet`, `csv` or `jsonl`. Default: from the path's extension (`.parquet`, `.csv[.gz]`, `.jsonl[.gz]`). */
  readonly format?: FileFormat;
  /**
   * Parquet: `zstd` (default), `snappy`, `gzip` or `none`. CSV and JSON lines: `gzip` or `none`
   * (default `gzip` when the path ends in `.gz`, else `none`).
   */
  readonly compression?: FileCompression;
  /** Replace an existing file. Default false: an existing file is an InvalidArgumentError. */
  readonly overwrite?: boolean;
  /** Write the `<path>.meta.json` sidecar (columns, row count, the table's `_metadata`). Default true. */
  readonly sidecar?: boolean;
  /**
   * Put the table's content checksum (`table-checksum.ts`) in the sidecar, so an import can verify
   * it. Costs hashing every row in JavaScript (a second read on engines that write files natively).
   * Default false.
   */
  readonly checksum?: boolean;
  /** Rows read per batch. Default 10,000. */
  readonly batchRows?: number;
  /** Called with the rows written so far (portable writers only: native writes report once at the end). */
  readonly onProgress?: (rows: number) => void;
  /** Aborting stops the export; no file appears under `path` (a previous one is left untouched). */
  readonly signal?: AbortSignal;
}

/** What an export wrote. */
export interface ExportResult {
  readonly path: string;
  /** The sidecar written beside it, or null. */
  readonly sidecarPath: string | null;
  readonly format: FileFormat;
  readonly compression: FileCompression;
  /** The exported table, or null for a query. */
  readonly table: string | null;
  readonly type: TableKind;
  readonly rows: number;
  /** Size of the written file. */
  readonly bytes: number;
  /**
   * `native`: the engine wrote the file itself (DuckDB COPY); `stream`: rows streamed through the
   * portable writer; `spool`: rows streamed into a temporary JSON-lines spool a native writer converted.
   */
  readonly method: 'native' | 'stream' | 'spool';
  /** The content checksum when `checksum: true`, else null. */
  readonly checksum: string | null;
  readonly durationMs: number;
}
