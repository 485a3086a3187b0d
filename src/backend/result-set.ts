/** A column of a query result, named as the query named it. */
export interface ResultColumn {
  readonly name: string;
  /** The engine's own type name, e.g. `BIGINT`, `TIMESTAMP`, `JSON`, `jsonb`, `TEXT`. */
  readonly type: string;
}

/**
 * Rows of a query result as arrays in column order.
 *
 * Values follow one rule on every backend (the "value rule", documented in the README):
 * - 64-bit integers are a `number` when within ±(2^53−1) and a `bigint` otherwise, so no digit is
 *   ever lost silently (arithmetic mixing the two throws instead of rounding);
 * - timestamps are `Date` (UTC); dates are `'YYYY-MM-DD'` strings;
 * - JSON columns are returned as JSON text (extract fields in SQL with `->>`);
 * - SQL NULL is `null`.
 */
export interface ResultSet {
  readonly columns: readonly ResultColumn[];
  readonly rows: unknown[][];
}
