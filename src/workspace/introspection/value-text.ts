import type { ColumnFamily, SqlDialect } from '../../backend/sql-dialect.js';

/**
 * SQL that renders `expression` (a column of `family`) so that `asText` gives the same text on every
 * engine. Numbers and text stay raw (a cast would spell `3.0` differently per engine; keeping numbers
 * also keeps their numeric order); booleans and timestamps get one spelling; the rest is cast.
 */
export function valueTextSql(dialect: SqlDialect, expression: string, family: ColumnFamily): string {
  switch (family) {
    case 'number':
    case 'text':
      return expression;
    case 'boolean':
      return `(CASE WHEN ${expression} IS NULL THEN NULL WHEN ${expression} THEN 'true' ELSE 'false' END)`;
    case 'timestamp':
      return dialect.timestampText(expression);
    default:
      return `CAST(${expression} AS ${dialect.typeName('string')})`;
  }
}

/**
 * SQL for `min` or `max` of `expression` as a value `asText` renders portably, or `NULL` for JSON
 * (documents have no useful order, and PostgreSQL has no min(jsonb)). Booleans go through 0/1 because
 * PostgreSQL has no min(boolean); text compares by code point on every engine.
 */
export function extremeTextSql(
  dialect: SqlDialect,
  fn: 'min' | 'max',
  expression: string,
  family: ColumnFamily,
): string {
  switch (family) {
    case 'number':
      return `${fn}(${expression})`;
    case 'text':
      return `${fn}(${dialect.binaryCollation(expression)})`;
    case 'boolean':
      return (
        `(CASE ${fn}(CASE WHEN ${expression} IS NULL THEN NULL WHEN ${expression} THEN 1 ELSE 0 END) ` +
        `WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)`
      );
    case 'timestamp':
      return dialect.timestampText(`${fn}(${expression})`);
    case 'date':
      return `CAST(${fn}(${expression}) AS ${dialect.typeName('string')})`;
    case 'json':
      return 'NULL';
    default:
      return `${fn}(${dialect.binaryCollation(`CAST(${expression} AS ${dialect.typeName('string')})`)})`;
  }
}
