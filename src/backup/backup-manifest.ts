import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName, NativeBackup } from '../backend/backend.js';
import { isBackendName } from '../backend/backend-registry.js';
import type { ColumnType } from '../backend/column-types.js';
import type { StoredTableMetadata } from '../engine/records.js';
import { FileNotFoundError, InvalidArgumentError } from '../errors.js';
import { metadataFromJson, metadataToJson } from '../io/metadata-json.js';
import { parseJsonLossless, stringifyJson } from '../values/json-text.js';
import type { BackupTable } from './backup-types.js';

/**
 * `manifest.json` of a backup directory: which backend and method wrote it, every table with its
 * columns, row count and checksum, and every `_metadata` row.
 *
 * ```
 * <backup>/manifest.json
 * <backup>/native/…          native methods: duckdb/ (EXPORT DATABASE), database.sqlite, schema.dump
 * <backup>/tables/…          table-export method: <n>-<name>.parquet + .meta.json sidecars
 * ```
 */

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'mixpanel-data/backup';
export const EXPORT_METHOD = 'table-export';

/** The parsed manifest. */
export interface BackupManifest {
  readonly createdAt: string;
  readonly packageVersion: string;
  readonly backend: BackendName;
  readonly location: string;
  /** The native backup, or null for the table-export method. */
  readonly native: NativeBackup | null;
  readonly fallbackReason: string | null;
  readonly tables: readonly BackupTable[];
  readonly metadata: readonly StoredTableMetadata[];
}

/** The method a manifest names. */
export function manifestMethod(manifest: BackupManifest): string {
  return manifest.native?.method ?? EXPORT_METHOD;
}

/** The manifest's text. */
export function manifestText(manifest: BackupManifest): string {
  return `${stringifyJson({
    format: MANIFEST_FORMAT,
    version: 1,
    createdAt: manifest.createdAt,
    packageVersion: manifest.packageVersion,
    backend: manifest.backend,
    location: manifest.location,
    method: manifestMethod(manifest),
    native: manifest.native,
    fallbackReason: manifest.fallbackReason,
    tables: manifest.tables,
    metadata: manifest.metadata.map(metadataToJson),
  })}\n`;
}

const TYPES: readonly ColumnType[] = ['string', 'timestamp', 'json', 'int64', 'float64', 'boolean', 'date'];

function bad(path: string, what: string): InvalidArgumentError {
  return new InvalidArgumentError(`${path} is not a mixpanel-data backup manifest (${what}).`, {
    details: { path },
  });
}

function parseTable(value: unknown, path: string): BackupTable {
  const t = value as Record<string, unknown>;
  if (t === null || typeof t !== 'object' || typeof t.name !== 'string') throw bad(path, 'tables');
  if (t.type !== 'events' && t.type !== 'profiles' && t.type !== 'other') throw bad(path, 'table type');
  if (!Array.isArray(t.columns)) throw bad(path, 'table columns');
  const columns = t.columns.map((c: { name?: unknown; type?: unknown }) => {
    if (typeof c?.name !== 'string' || !TYPES.includes(c.type as ColumnType))
      throw bad(path, 'table columns');
    return { name: c.name, type: c.type as ColumnType };
  });
  return {
    name: t.name,
    type: t.type,
    columns,
    rows: Number(t.rows),
    checksum: typeof t.checksum === 'string' ? t.checksum : null,
    file: typeof t.file === 'string' ? t.file : null,
  };
}

function parseNative(value: unknown, path: string): NativeBackup | null {
  if (value === null || value === undefined) return null;
  const n = value as Record<string, unknown>;
  if (typeof n.method !== 'string' || !Array.isArray(n.files) || typeof n.details !== 'object') {
    throw bad(path, 'native');
  }
  return {
    method: n.method,
    files: n.files.map(String),
    details: (n.details ?? {}) as NativeBackup['details'],
  };
}

/** Reads `<directory>/manifest.json`; FileNotFoundError when there is none. */
export function readManifest(directory: string): BackupManifest {
  const path = join(directory, MANIFEST_FILE);
  if (!existsSync(path)) throw new FileNotFoundError(path);
  let value: unknown;
  try {
    value = parseJsonLossless(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`${path} is not valid JSON.`, { cause: error, details: { path } });
  }
  const m = value as Record<string, unknown>;
  if (m === null || typeof m !== 'object' || m.format !== MANIFEST_FORMAT) throw bad(path, 'format');
  if (m.version !== 1) throw bad(path, `version ${String(m.version)}`);
  if (!isBackendName(m.backend)) throw bad(path, 'backend');
  if (!Array.isArray(m.tables) || !Array.isArray(m.metadata)) throw bad(path, 'tables');
  return {
    createdAt: String(m.createdAt),
    packageVersion: String(m.packageVersion),
    backend: m.backend,
    location: String(m.location),
    native: parseNative(m.native, path),
    fallbackReason: typeof m.fallbackReason === 'string' ? m.fallbackReason : null,
    tables: m.tables.map((t) => parseTable(t, path)),
    metadata: m.metadata.map((row) => metadataFromJson(row, path)),
  };
}
