import type { ColumnType } from '../../backend/column-types.js';
import { quoteIdentifierStandard, type SqlDialect } from '../../backend/sql-dialect.js';

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
});
