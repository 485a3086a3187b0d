import {
  DuckDBDecimalType,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  type JS,
  JSDuckDBValueConverter,
} from '@duckdb/node-api';
import type { WriteValue } from '../../backend/column-types.js';
import { InvalidArgumentError } from '../../errors.js';
import { toSafeInteger } from '../../values/integers.js';

/**
 * DuckDB value → JavaScript, following the value rule of `backend/result-set.ts`: 64-bit integers
 * are numbers when safe and bigints otherwise, dates are `YYYY-MM-DD` strings, wide decimals keep
 * their digits as strings, timestamps are `Date`s, JSON stays text. Everything else uses the
 * driver's JS conversion; nested lists and structs recurse through this converter.
 */
export const toJsValue: DuckDBValueConverter<unknown> = (value, type, _self) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return toSafeInteger(value as bigint);
    case DuckDBTypeId.DATE:
      return String(value);
    case DuckDBTypeId.DECIMAL:
      return type instanceof DuckDBDecimalType && type.width > 15 ? String(value) : Number(String(value));
    default:
      // The driver's converter recurses through the converter it is given, so nested values follow our rule.
      return JSDuckDBValueConverter(value, type, toJsValue as DuckDBValueConverter<JS>);
  }
};

/** A bound parameter in a form the driver accepts: `Date` becomes a TIMESTAMP. */
export function toDuckDbParam(value: unknown): DuckDBValue {
  if (value instanceof Date) return new DuckDBTimestampValue(BigInt(value.getTime()) * 1000n);
  if (value === undefined) return null;
  return value as DuckDBValue;
}

export const MS_PER_DAY = 86_400_000;

/**
 * Epoch milliseconds of a value written to a timestamp or date column, by both bulk paths (the
 * Appender and the spool) so a value is stored the same whichever path the source's size picks.
 * Date has millisecond resolution; a fractional epoch number is rounded to it, as a Date would be.
 */
export function toEpochMs(value: NonNullable<WriteValue>): number {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(String(value));
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`Not a valid time: ${String(value)}`);
  return Math.round(ms);
}
