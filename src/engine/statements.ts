import type { ColumnDef } from '../backend/column-types.js';
import type { SqlDialect } from '../backend/sql-dialect.js';

/**
 * SQL text the engine builds. Identifiers always pass through `dialect.quoteIdentifier`, values are
 * always placeholders. The builders only assemble fixed keywords around those.
 */
export function createTableSql(
  dialect: SqlDialect,
  table: string,
  columns: readonly ColumnDef[],
  options: { readonly temporary?: boolean } = {},
): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const defs = columns.map(
    (c) =>
      `${q(c.name)} ${dialect.typeName(c.type)}${c.notNull ? ' NOT NULL' : ''}${c.primaryKey ? ' PRIMARY KEY' : ''}`,
  );
  return `CREATE ${options.temporary ? 'TEMP ' : ''}TABLE ${q(table)} (${defs.join(', ')})`;
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
 * Deletes the losing copies of every duplicate group from a staging table, in place: per key, the
 * row with the largest `orderBy` value wins, then the later `_seq`. `_seq` is unique per staged
 * row, which makes it a portable row identity.
 */
export function deleteStagingLosersSql(
  dialect: SqlDialect,
  staging: string,
  key: readonly string[],
  orderBy: string,
): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  return deleteLosersSql(dialect, staging, key, { winner: q(orderBy), rowId: q('_seq') });
}

/**
 * Deletes the losing copies of every duplicate group of `table` on `key`: per key, the row with the
 * largest `winner` value (SQL, NULL last) wins, then the largest `rowId` (SQL naming a unique,
 * increasing row identity). Only rows whose first key column repeats are ranked (a cheap one-column
 * GROUP BY, of its digest where the dialect has `keyDigest`), so a table without duplicates costs
 * one scan.
 */
export function deleteLosersSql(
  dialect: SqlDialect,
  table: string,
  key: readonly string[],
  order: { readonly winner: string; readonly rowId: string },
): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const first = dialect.keyDigest ? dialect.keyDigest(q(key[0]!)) : q(key[0]!);
  const id = q('_rid');
  return (
    `DELETE FROM ${q(table)} WHERE ${order.rowId} IN (SELECT ${id} FROM (SELECT ${order.rowId} AS ${id}, ` +
    `row_number() OVER (PARTITION BY ${key.map(q).join(', ')} ORDER BY ${order.winner} DESC NULLS LAST, ` +
    `${order.rowId} DESC) AS ${q('_rn')} FROM ${q(table)} ` +
    `WHERE ${first} IN (SELECT ${first} FROM ${q(table)} GROUP BY 1 HAVING count(*) > 1)) d ` +
    `WHERE d.${q('_rn')} > 1)`
  );
}
