/**
 * The integer rule: a 64-bit integer read from a database is a `number` when it is a safe integer
 * and a `bigint` otherwise. No digit is ever dropped, and the common case (counts, small ids) stays
 * an ordinary number.
 */
export function toSafeInteger(value: bigint): number | bigint {
  return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value;
}
