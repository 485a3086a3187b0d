import type { ColumnType } from '../../backend/column-types.js';
import { quoteIdentifierStandard, type SqlDialect } from '../../backend/sql-dialect.js';

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
};
