import type { StoredTableMetadata, TableType } from '../engine/records.js';
import { InvalidArgumentError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';

/** A `_metadata` row as JSON: times as ISO-8601 UTC text, filters as an object (bigints kept exact). */
export interface MetadataJson {
  readonly tableName: string;
  readonly type: TableType;
  readonly fetchedAt: string;
  readonly fromDate: string | null;
  readonly toDate: string | null;
  readonly rowCount: number;
  readonly filters: Record<string, unknown> | null;
  readonly source: string | null;
  readonly packageVersion: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The JSON form of a metadata row (written with `stringifyJson`, so bigint filters survive). */
export function metadataToJson(metadata: StoredTableMetadata): MetadataJson {
  return {
    tableName: metadata.tableName,
    type: metadata.type,
    fetchedAt: metadata.fetchedAt.toISOString(),
    fromDate: metadata.fromDate,
    toDate: metadata.toDate,
    rowCount: metadata.rowCount,
    filters: metadata.filters,
    source: metadata.source,
    packageVersion: metadata.packageVersion,
    createdAt: metadata.createdAt.toISOString(),
    updatedAt: metadata.updatedAt.toISOString(),
  };
}

function text(value: unknown, field: string, where: string): string {
  if (typeof value !== 'string') throw invalid(field, where);
  return value;
}

function nullableText(value: unknown, field: string, where: string): string | null {
  return value === null || value === undefined ? null : text(value, field, where);
}

function time(value: unknown, field: string, where: string): Date {
  const date = new Date(text(value, field, where));
  if (Number.isNaN(date.getTime())) throw invalid(field, where);
  return date;
}

function invalid(field: string, where: string): InvalidArgumentError {
  return new InvalidArgumentError(`${where}: metadata field '${field}' is missing or malformed.`, {
    details: { field },
  });
}

/** Parses a metadata row from JSON (`where` names the file for messages). */
export function metadataFromJson(value: unknown, where: string): StoredTableMetadata {
  if (value === null || typeof value !== 'object') throw invalid('metadata', where);
  const m = value as Record<string, unknown>;
  const type = m.type;
  if (type !== 'events' && type !== 'profiles') throw invalid('type', where);
  const filters = m.filters;
  if (filters !== null && filters !== undefined && (typeof filters !== 'object' || Array.isArray(filters))) {
    throw invalid('filters', where);
  }
  const rowCount = Number(m.rowCount);
  if (!Number.isSafeInteger(rowCount) || rowCount < 0) throw invalid('rowCount', where);
  return {
    tableName: text(m.tableName, 'tableName', where),
    type,
    fetchedAt: time(m.fetchedAt, 'fetchedAt', where),
    fromDate: nullableText(m.fromDate, 'fromDate', where),
    toDate: nullableText(m.toDate, 'toDate', where),
    rowCount,
    filters: (filters ?? null) as Record<string, unknown> | null,
    source: nullableText(m.source, 'source', where),
    packageVersion: text(m.packageVersion, 'packageVersion', where),
    createdAt: time(m.createdAt, 'createdAt', where),
    updatedAt: time(m.updatedAt, 'updatedAt', where),
  };
}

/** The fields of two metadata rows that differ (empty when equal), comparing filters canonically. */
export function metadataDifferences(a: StoredTableMetadata, b: StoredTableMetadata): string[] {
  const out: string[] = [];
  const times = ['fetchedAt', 'createdAt', 'updatedAt'] as const;
  for (const key of times) if (a[key].getTime() !== b[key].getTime()) out.push(key);
  const plain = ['type', 'fromDate', 'toDate', 'rowCount', 'source', 'packageVersion'] as const;
  for (const key of plain) if (a[key] !== b[key]) out.push(key);
  if (canonicalJson(a.filters) !== canonicalJson(b.filters)) out.push('filters');
  return out;
}
