import type { ColumnType } from '../../backend/column-types.js';
import { type ColumnFamily, quoteIdentifierStandard, type SqlDialect } from '../../backend/sql-dialect.js';

/**
 * SQLite type names for the portable column types. SQLite stores values by affinity, not by the
 * declared name, but it keeps the declared name in the catalog and in `stmt.columns()`; the value
 * converters in `sqlite-values.ts` key off these names (TIMESTAMP → `Date`, BOOLEAN → boolean).
 *
 * Storage formats: TIMESTAMP is ISO-8601 UTC text `YYYY-MM-DD HH:MM:SS.SSS` (so `date()`,
 * `strftime()` and plain ordering work), DATE is `YYYY-MM-DD` text, BOOLEAN is 0/1, JSON is text.
 * Trap: TIMESTAMP, DATE, BOOLEAN and JSON have NUMERIC affinity, so a JSON document that is a bare
 * number (`123`) is stored as a number; the reader turns it back into text.
 */
const TYPE_NAMES: Readonly<Record<ColumnType, string>> = Object.freeze({
  string: 'TEXT',
  timestamp: 'TIMESTAMP',
  json: 'JSON',
  int64: 'INTEGER',
  float64: 'REAL',
  boolean: 'BOOLEAN',
  date: 'DATE',
});

/** How SQLite spells the fragments the engine builds. */
export const sqliteDialect: SqlDialect = Object.freeze({
  quoteIdentifier: quoteIdentifierStandard,
  placeholder: (_index: number) => '?',
  typeName: (type: ColumnType) => TYPE_NAMES[type],
  nullSafeEquals: (left: string, right: string) => `${left} IS ${right}`,
  // With a bare key SQLite reads 'x' as '$.x', like DuckDB and PostgreSQL; `->>` returns SQL text,
  // numbers or NULL.
  jsonExtractText: (column: string, keyPlaceholder: string) => `(${column} ->> ${keyPlaceholder})`,
  // `->>` reads a key starting with `$` as a path ('$browser' is a "bad JSON path"), so the member
  // is looked up by key equality in json_each, which is literal. SQLite returns true/false as 1/0
  // and numbers as numbers: the CASE and the cast give the same text as the other engines.
  jsonMemberText: (column: string, keyPlaceholder: string) =>
    `(SELECT CASE m.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(m.value AS TEXT) END ` +
    `FROM json_each(CASE WHEN json_type(${column}) = 'object' THEN ${column} END) AS m ` +
    `WHERE m.key = ${keyPlaceholder} LIMIT 1)`,
  // A table-valued function may refer to earlier FROM items (SQLite has no LATERAL subqueries).
  // The object check keeps arrays (keys 0, 1...) and bare numbers out.
  jsonObjectMembers: (column: string, alias: string) => ({
    from: `json_each(CASE WHEN json_type(${column}) = 'object' THEN ${column} END) AS ${alias}`,
    key: `${alias}.key`,
    valueType:
      `(CASE ${alias}.type WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' ` +
      `WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' ELSE ${alias}.type END)`,
  }),
  // TIMESTAMP is stored as 'YYYY-MM-DD HH:MM:SS.SSS' UTC text; %f is seconds with milliseconds.
  timestampText: (expression: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${expression})`,
  binaryCollation: (expression: string) => `(${expression} COLLATE BINARY)`,
  columnFamily: (catalogType: string) => sqliteColumnFamily(catalogType),
  // json_type tells integers from reals (and from numeric-looking strings, which stay NULL as in
  // JavaScript); CAST of a REAL to INTEGER truncates toward zero, like Math.trunc.
  jsonIntegerMember: (column: string, key: string) => {
    const path = `'$.${key}'`;
    return (
      `(CASE json_type(${column}, ${path}) WHEN 'integer' THEN json_extract(${column}, ${path}) ` +
      `WHEN 'real' THEN CAST(json_extract(${column}, ${path}) AS INTEGER) END)`
    );
  },
  // A new table's rowids count up from 1 in insertion order (no row is ever deleted before use).
  insertionOrder: 'rowid',
});

/**
 * SQLite declared type → family. The engine's own names come first (JSON, TIMESTAMP, DATE and
 * BOOLEAN have NUMERIC affinity but are not numbers); other names follow SQLite's affinity rules.
 */
function sqliteColumnFamily(catalogType: string): ColumnFamily {
  const type = catalogType.trim().toUpperCase();
  if (type === 'JSON') return 'json';
  if (type === 'TIMESTAMP' || type === 'DATETIME') return 'timestamp';
  if (type === 'DATE') return 'date';
  if (type === 'BOOLEAN') return 'boolean';
  if (type.includes('INT')) return 'number';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'text';
  if (type === '' || type.includes('BLOB')) return 'other';
  if (/REAL|FLOA|DOUB|NUMERIC|DECIMAL/.test(type)) return 'number';
  return 'other';
}
