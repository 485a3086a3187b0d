/**
 * Value semantics of the where subset: truthiness, equality and ordering across strings, numbers,
 * 64-bit integers (bigint) and datetimes.
 */

/** A point in time produced by `datetime(...)` or by the `$time` property. */
export class WhereDateTime {
  constructor(readonly ms: number) {}
}

/** Any value an expression can produce or read. */
export type WhereValue = unknown;

/** Mixpanel's truthiness for `and`, `or`, `not` and the final result. */
export function truthy(value: WhereValue): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function isNumeric(value: WhereValue): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint';
}

function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function asMs(value: WhereValue): number | null {
  if (value instanceof WhereDateTime) return value.ms;
  if (typeof value === 'string') {
    const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}

/** `==` semantics: values of different types are never equal (numbers and bigints compare as numbers). */
export function equal(a: WhereValue, b: WhereValue): boolean {
  if (isNumeric(a) && isNumeric(b)) return compareNumbers(a, b) === 0;
  if (a instanceof WhereDateTime || b instanceof WhereDateTime) {
    const x = asMs(a);
    const y = asMs(b);
    return x !== null && x === y;
  }
  if (typeof a !== typeof b || a === undefined) return false;
  if (a === null || b === null) return a === b;
  if (typeof a === 'object') return JSON.stringify(a, bigintSafe) === JSON.stringify(b, bigintSafe);
  return a === b;
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

/** Ordering for `>`-style operators: -1, 0 or 1, or `null` when the two values cannot be ordered. */
export function order(a: WhereValue, b: WhereValue): number | null {
  if (isNumeric(a) && isNumeric(b)) return Math.sign(compareNumbers(a, b));
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof WhereDateTime || b instanceof WhereDateTime) {
    const x = asMs(a);
    const y = asMs(b);
    return x === null || y === null ? null : Math.sign(x - y);
  }
  return null;
}
