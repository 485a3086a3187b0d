import type { ColumnType } from '../../backend/column-types.js';
import { type ColumnFamily, quoteIdentifierStandard, type SqlDialect } from '../../backend/sql-dialect.js';

const TYPE_NAMES: Readonly<Record<ColumnType, string>> = {
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  json: 'JSON',
  int64: 'BIGINT',
  float64: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
};

/** DuckDB spelling: standard quoting, `$n` placeholders, a native JSON type. */
export const duckdbDialect: SqlDialect = {
  quoteIdentifier: quoteIdentifierStandard,
  placeholder: (index) => `$${index}`,
  typeName: (type) => TYPE_NAMES[type],
  nullSafeEquals: (left, right) => `${left} IS NOT DISTINCT FROM ${right}`,
  jsonExtractText: (column, keyPlaceholder) => `(${column} ->> ${keyPlaceholder})`,
  // `->>` reads a key starting with `$` as a JSONPath ('$browser' fails to bind), so the key is
  // turned into a JSON Pointer in SQL (RFC 6901: `~` → `~0`, `/` → `~1`), which is always literal.
  // The object check keeps a pointer like `/0` from indexing into an array document.
  jsonMemberText: (column, keyPlaceholder) =>
    `(CASE WHEN json_type(${column}) = 'OBJECT' THEN json_extract_string(${column}, '/' || ` +
    `replace(replace(CAST(${keyPlaceholder} AS VARCHAR), '~', '~0'), '/', '~1')) END)`,
  jsonObjectMembers: (column, alias) => ({
    from: `json_each(CASE WHEN json_type(${column}) = 'OBJECT' THEN ${column} END) AS ${alias}`,
    key: `${alias}.key`,
    // json_each reports DuckDB type names; everything besides these five is a number
    // (BIGINT, UBIGINT, DOUBLE, HUGEINT).
    valueType:
      `(CASE ${alias}.type WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'boolean' ` +
      `WHEN 'OBJECT' THEN 'object' WHEN 'ARRAY' THEN 'array' WHEN 'NULL' THEN 'null' ELSE 'number' END)`,
  }),
  timestampText: (expression) => `strftime(${expression}, '%Y-%m-%dT%H:%M:%S.%gZ')`,
  // Explicit, because a user's `SET default_collation` would otherwise change the order.
  binaryCollation: (expression) => `(${expression} COLLATE "binary")`,
  columnFamily: (catalogType) => duckdbColumnFamily(catalogType),
  jsonIntegerMember: (column: string, key: string) => jsonIntegerValue(`(${column} -> '$.${key}')`),
  // A table created in the open transaction numbers its rows in insertion order (the Appender and
  // each spool load append in order; loads run one at a time and keep insertion order).
  insertionOrder: 'rowid',
  keyDigest: (expression: string) => `hash(${expression})`,
};

/**
 * The engine's `_proc` rule (`engine/event-rows.ts`) for a JSON value `v` (SQL): the integer part of
 * a JSON number, else NULL. json_type names the number's storage: UBIGINT/BIGINT for integers that
 * fit 64 bits (exact), DOUBLE for fractions (truncated toward zero). A string, a boolean, or an
 * integer beyond BIGINT is NULL. One spelling for every DuckDB lane that ranks duplicates (the
 * in-place dedup, fetched export files, imported event lines): a plain `TRY_CAST(v AS BIGINT)`
 * would round fractions and read `"99"` and `true` as numbers.
 */
export function jsonIntegerValue(v: string): string {
  return (
    `(CASE json_type(${v}) WHEN 'UBIGINT' THEN TRY_CAST(${v} AS BIGINT) ` +
    `WHEN 'BIGINT' THEN TRY_CAST(${v} AS BIGINT) ` +
    `WHEN 'DOUBLE' THEN TRY_CAST(trunc(CAST(${v} AS DOUBLE)) AS BIGINT) END)`
  );
}

const NUMBER_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(\d+,\d+\))?)$/;

/**
 * DuckDB catalog type names (`information_schema` spelling) → family. TIMESTAMP WITH TIME ZONE is
 * `other`: strftime would render it in the session's time zone, not UTC.
 */
function duckdbColumnFamily(catalogType: string): ColumnFamily {
  const type = catalogType.trim().toUpperCase();
  if (NUMBER_TYPES.test(type)) return 'number';
  if (type === 'VARCHAR' || type.startsWith('VARCHAR(')) return 'text';
  if (type === 'BOOLEAN') return 'boolean';
  if (/^TIMESTAMP(_S|_MS|_NS)?$/.test(type)) return 'timestamp';
  if (type === 'DATE') return 'date';
  if (type === 'JSON') return 'json';
  return 'other';
}
