import type { ColumnDef } from '../backend/column-types.js';
import type { SqlDialect } from '../backend/sql-dialect.js';

/**
 * SQL text the engine builds. Identifiers always pass through `dialect.quoteIdentifier`, values are
 * always placeholders. The builders only assemble fixed keywords around those.
 */
export function createTableSql(dialect: SqlDialect, table: string, columns: readonly ColumnDef[]): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const defs = columns.map(
    (c) =>
      `${q(c.name)} ${dialect.typeName(c.type)}${c.notNull ? ' NOT NULL' : ''}${c.primaryKey ? ' PRIMARY KEY' : ''}`,
  );
  return `CREATE TABLE ${q(table)} (${defs.join(', ')})`;
}

/** `"a", "b", "c"` for a column list, optionally qualified with a table alias. */
export function columnList(dialect: SqlDialect, columns: readonly ColumnDef[], alias?: string): string {
  const prefix = alias ? `${alias}.` : '';
  return columns.map((c) => prefix + dialect.quoteIdentifier(c.name)).join(', ');
}

/** `t.a = s.a AND t.b = s.b` over key columns (all key columns are NOT NULL, so plain `=` is exact). */
export function keyMatch(dialect: SqlDialect, key: readonly string[], left: string, right: string): string {
  return key
    .map((name) => `${left}.${dialect.quoteIdentifier(name)} = ${right}.${dialect.quoteIdentifier(name)}`)
    .join(' AND ');
}

/**
 * Selects one winner per key from a staging table: the copy with the largest `orderBy` value, and
 * among equals the one that came last in the source (`_seq`). Written with a window function in a
 * subquery because QUALIFY is DuckDB-only.
 */
export function dedupedStagingSelect(
  dialect: SqlDialect,
  staging: string,
  columns: readonly ColumnDef[],
  key: readonly string[],
  orderBy: string,
): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const partition = key.map(q).join(', ');
  return (
    `SELECT ${columnList(dialect, columns, 's')} FROM (SELECT *, row_number() OVER ` +
    `(PARTITION BY ${partition} ORDER BY ${q(orderBy)} DESC NULLS LAST, ${q('_seq')} DESC) AS ${q('_rn')} ` +
    `FROM ${q(staging)}) s WHERE s.${q('_rn')} = 1`
  );
}
