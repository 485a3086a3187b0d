import { existsSync, readFileSync } from 'node:fs';
import { COLUMN_TYPES, type ColumnDef, type ColumnType } from '../backend/column-types.js';
import type { StoredTableMetadata } from '../engine/records.js';
import { InvalidArgumentError } from '../errors.js';
import { parseJsonLossless, stringifyJson } from '../values/json-text.js';
import type { FileCompression, FileFormat } from './file-options.js';
import { metadataFromJson, metadataToJson } from './metadata-json.js';
import type { TableKind } from './table-layout.js';

/**
 * The sidecar `<file>.meta.json` written beside every export: what the file holds and the table's
 * `_metadata` row, so the metadata travels with the data and an import restores it.
 *
 * ```json
 * {"format":"mixpanel-data/table-export","version":1,"file":"events.parquet","fileFormat":"parquet",
 *  "compression":"zstd","table":"events","type":"events",
 *  "columns":[{"name":"event_name","type":"string"},…],"rows":1000,"checksum":"…" | null,
 *  "metadata":{"tableName":"events","type":"events","fetchedAt":"2024-07-01T10:00:00.000Z",…} | null,
 *  "exportedAt":"…","packageVersion":"0.1.0","backend":"duckdb"}
 * ```
 * `checksum` follows `table-checksum.ts` and is present when the export computed it.
 */

export const SIDECAR_FORMAT = 'mixpanel-data/table-export';

/** The parsed sidecar. */
export interface ExportSidecar {
  readonly file: string;
  readonly fileFormat: FileFormat;
  readonly compression: FileCompression;
  /** The exported table, or null for a query export. */
  readonly table: string | null;
  readonly type: TableKind;
  readonly columns: readonly ColumnDef[];
  readonly rows: number;
  readonly checksum: string | null;
  readonly metadata: StoredTableMetadata | null;
  readonly exportedAt: string;
  readonly packageVersion: string;
  readonly backend: string;
}

/** `<file>.meta.json`. */
export function sidecarPathFor(path: string): string {
  return `${path}.meta.json`;
}

/** The sidecar's text. */
export function sidecarText(sidecar: ExportSidecar): string {
  return `${stringifyJson({
    format: SIDECAR_FORMAT,
    version: 1,
    file: sidecar.file,
    fileFormat: sidecar.fileFormat,
    compression: sidecar.compression,
    table: sidecar.table,
    type: sidecar.type,
    columns: sidecar.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: sidecar.rows,
    checksum: sidecar.checksum,
    metadata: sidecar.metadata === null ? null : metadataToJson(sidecar.metadata),
    exportedAt: sidecar.exportedAt,
    packageVersion: sidecar.packageVersion,
    backend: sidecar.backend,
  })}\n`;
}

function bad(path: string, what: string): InvalidArgumentError {
  return new InvalidArgumentError(`${path} is not a mixpanel-data export sidecar (${what}).`, {
    details: { path },
  });
}

function parseColumns(value: unknown, path: string): ColumnDef[] {
  if (!Array.isArray(value)) throw bad(path, 'columns');
  return value.map((c: unknown) => {
    const column = c as { name?: unknown; type?: unknown };
    if (typeof column?.name !== 'string' || !COLUMN_TYPES.includes(column.type as ColumnType)) {
      throw bad(path, 'columns');
    }
    return { name: column.name, type: column.type as ColumnType };
  });
}

/** Reads a sidecar, or returns null when the file does not exist. */
export function readSidecar(path: string): ExportSidecar | null {
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = parseJsonLossless(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`${path} is not valid JSON.`, { cause: error, details: { path } });
  }
  const s = value as Record<string, unknown>;
  if (s === null || typeof s !== 'object' || s.format !== SIDECAR_FORMAT) throw bad(path, 'format');
  if (s.version !== 1) throw bad(path, `version ${String(s.version)}`);
  const type = s.type;
  if (type !== 'events' && type !== 'profiles' && type !== 'other') throw bad(path, 'type');
  const rows = Number(s.rows);
  if (!Number.isSafeInteger(rows) || rows < 0) throw bad(path, 'rows');
  return {
    file: String(s.file),
    fileFormat: s.fileFormat as FileFormat,
    compression: s.compression as FileCompression,
    table: typeof s.table === 'string' ? s.table : null,
    type,
    columns: parseColumns(s.columns, path),
    rows,
    checksum: typeof s.checksum === 'string' ? s.checksum : null,
    metadata: s.metadata === null || s.metadata === undefined ? null : metadataFromJson(s.metadata, path),
    exportedAt: String(s.exportedAt),
    packageVersion: String(s.packageVersion),
    backend: String(s.backend),
  };
}
