import type { ColumnDef, ColumnType } from '../backend/column-types.js';
import type { ResultColumn } from '../backend/result-set.js';
import type { SqlDialect } from '../backend/sql-dialect.js';
import type { StoredTableMetadata, TableType } from '../engine/records.js';
import type { StorageEngine } from '../engine/storage-engine.js';
import { EVENT_COLUMNS, PROFILE_COLUMNS } from '../engine/table-schemas.js';
import { TableNotFoundError } from '../errors.js';

/** What a table holds: the engine's events or profiles layout, or any other (hand-made) table. */
export type TableKind = TableType | 'other';

/** A table as the file and migration paths see it: its kind, portable columns and metadata. */
export interface TableLayout {
  readonly name: string;
  readonly type: TableKind;
  /** Columns in table order, with portable types. */
  readonly columns: readonly ColumnDef[];
  /** The `_metadata` row, or null for tables without one. */
  readonly metadata: StoredTableMetadata | null;
}

/** The engine's own layouts by kind. */
export const KIND_COLUMNS: Readonly<Record<TableType, readonly ColumnDef[]>> = {
  events: EVENT_COLUMNS,
  profiles: PROFILE_COLUMNS,
};

/**
 * The portable type of a catalog or result type name. Integers stay int64; other numbers become
 * float64 (decimals lose digits beyond a double's 15–17: documented); text, booleans, timestamps,
 * dates and JSON keep their kind; anything else (blobs, arrays, intervals, UUIDs…) is carried as text.
 */
export function portableType(dialect: SqlDialect, typeName: string): ColumnType {
  switch (dialect.columnFamily(typeName)) {
    case 'number':
      return /INT|SERIAL/i.test(typeName) ? 'int64' : 'float64';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return 'timestamp';
    case 'date':
      return 'date';
    case 'json':
      return 'json';
    default:
      return 'string';
  }
}

function sameNames(columns: readonly { name: string }[], expected: readonly ColumnDef[]): boolean {
  return columns.length === expected.length && expected.every((c, i) => columns[i]?.name === c.name);
}

/** Reads a table's layout: events/profiles when its metadata says so and its columns match. */
export async function describeTableLayout(storage: StorageEngine, name: string): Promise<TableLayout> {
  const schema = await storage.getSchema(name);
  let metadata: StoredTableMetadata | null = null;
  try {
    metadata = await storage.getMetadata(name);
  } catch (error) {
    if (!(error instanceof TableNotFoundError)) throw error;
  }
  const kind = metadata?.type;
  if ((kind === 'events' || kind === 'profiles') && sameNames(schema.columns, KIND_COLUMNS[kind])) {
    return { name, type: kind, columns: KIND_COLUMNS[kind], metadata };
  }
  const columns = schema.columns.map((c) => ({ name: c.name, type: portableType(storage.dialect, c.type) }));
  return { name, type: 'other', columns, metadata };
}

/**
 * Portable columns of a query result. Expression columns without a type name (SQLite) take the type
 * of their first non-null value in `sample`, else text.
 */
export function resultColumnsLayout(
  dialect: SqlDialect,
  columns: readonly ResultColumn[],
  sample: readonly (readonly unknown[])[] = [],
): ColumnDef[] {
  return columns.map((column, i) => {
    const typed = portableType(dialect, column.type);
    if (column.type !== '' && dialect.columnFamily(column.type) !== 'other')
      return { name: column.name, type: typed };
    const values = sample.map((row) => row[i]).filter((v) => v !== null && v !== undefined);
    return { name: column.name, type: values.length === 0 ? typed : inferType(values) };
  });
}

/** The type of a column from its values: integers only when no value in the sample has a fraction. */
function inferType(values: readonly unknown[]): ColumnType {
  const first = values[0];
  if (typeof first === 'bigint' || typeof first === 'number') {
    return values.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))
      ? 'int64'
      : 'float64';
  }
  if (typeof first === 'boolean') return 'boolean';
  if (first instanceof Date) return 'timestamp';
  return 'string';
}

/** `SELECT "a", "b" FROM "t"`: every column of a layout, quoted, in order. */
export function selectAllSql(dialect: SqlDialect, layout: Pick<TableLayout, 'name' | 'columns'>): string {
  const q = (n: string) => dialect.quoteIdentifier(n);
  return `SELECT ${layout.columns.map((c) => q(c.name)).join(', ')} FROM ${q(layout.name)}`;
}

/**
 * Portable columns from engine-neutral type names (a Parquet file's columns as a native reader
 * reports them), falling back on the values of `sample` for names it does not know.
 */
export function columnsFromTypeNames(
  columns: readonly ResultColumn[],
  sample: readonly (readonly unknown[])[],
): ColumnDef[] {
  return columns.map((column, i) => {
    const name = column.type.toUpperCase();
    let type: ColumnType | null = null;
    if (name === 'JSON' || name === 'JSONB') type = 'json';
    else if (/^TIMESTAMP/.test(name) && !/TIME ZONE|TZ/.test(name)) type = 'timestamp';
    else if (name === 'DATE') type = 'date';
    else if (name === 'BOOLEAN') type = 'boolean';
    else if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/.test(name)) type = 'int64';
    else if (/^(FLOAT|DOUBLE|REAL|DECIMAL)/.test(name)) type = 'float64';
    else if (name === 'VARCHAR' || name === 'TEXT') type = 'string';
    if (type !== null) return { name: column.name, type };
    const values = sample.map((row) => row[i]).filter((v) => v !== null && v !== undefined);
    return { name: column.name, type: values.length === 0 ? 'string' : inferType(values) };
  });
}
