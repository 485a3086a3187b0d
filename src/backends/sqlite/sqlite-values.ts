import type { ColumnType, WriteValue } from '../../backend/column-types.js';
import { InvalidArgumentError } from '../../errors.js';
import { toSafeInteger } from '../../values/integers.js';
import { UtcTimestampText } from '../../values/utc-timestamp-text.js';

/**
 * SQLite values ↔ the value rule of `result-set.ts`.
 *
 * Reading: statements run with `safeIntegers(true)`, so every INTEGER arrives as a `bigint` and
 * becomes a `number` when safe. SQLite has no timestamp or boolean storage class, so the declared
 * column type decides: TIMESTAMP text → `Date` (parsed as UTC), BOOLEAN 0/1 → boolean, JSON stays
 * text. Writing: `Date` → `YYYY-MM-DD HH:MM:SS.SSS` UTC text, boolean → 1/0, bigint bound as is.
 */

/** Converts one value read from a column (other storage classes pass through unchanged). */
export type ValueReader = (value: unknown) => unknown;

/** Exact format the writer stores; plain text comparison orders it chronologically. */
const STORED_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

/** Lenient parse for TIMESTAMP columns written by other tools (`T`, no millis, offsets). */
const TIMESTAMP_TEXT =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Formats a `Date` the way TIMESTAMP columns store it (UTC, millisecond precision). */
export function formatTimestamp(value: Date): string {
  const time = value.getTime();
  if (Number.isNaN(time)) throw new InvalidArgumentError('Cannot store an invalid Date as a timestamp.');
  // toISOString is UTC whatever process.env.TZ says: 'YYYY-MM-DDTHH:MM:SS.SSSZ' (or ±YYYYYY-...).
  const iso = value.toISOString();
  return `${iso.slice(0, -14)} ${iso.slice(-13, -1)}`;
}

/** Parses stored timestamp text as UTC; returns the text unchanged when it is not a timestamp. */
export function parseTimestamp(text: string): Date | string {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const day = Number(d);
  const hour = Number(h);
  const second = Number(s ?? 0);
  const millis = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  const utc = new Date(Date.UTC(year, Number(mo) - 1, day, hour, Number(mi), second, millis));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear undoes that.
  if (year >= 0 && year < 100) utc.setUTCFullYear(year);
  // Date.UTC rolls over (Feb 31 → Mar 2, 25:00 → next day): text that is no real instant stays text.
  if (utc.getUTCDate() !== day || utc.getUTCHours() !== hour || utc.getUTCSeconds() !== second) {
    return text;
  }
  let time = utc.getTime();
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
    time -= sign * offsetMinutes * 60_000;
  }
  return Number.isNaN(time) ? text : new Date(time);
}

function readInteger(value: unknown): unknown {
  return typeof value === 'bigint' ? toSafeInteger(value) : value;
}

function readTimestamp(value: unknown): unknown {
  if (typeof value === 'string') return parseTimestamp(value);
  return readInteger(value);
}

function readBoolean(value: unknown): unknown {
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'number') return value !== 0;
  return value;
}

function readJson(value: unknown): unknown {
  // NUMERIC affinity stored a bare-number document as a number: give back JSON text.
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  return value;
}

/**
 * A computed column (no declared type), or one made by CREATE TABLE AS SELECT (SQLite declares
 * `NUM` for TIMESTAMP/DATE/BOOLEAN/JSON sources): only the exact stored timestamp format is taken
 * for a timestamp, so `max(time)` is still a `Date`.
 */
function readUntyped(value: unknown): unknown {
  if (typeof value === 'string' && STORED_TIMESTAMP.test(value)) return parseTimestamp(value);
  return readInteger(value);
}

/** Picks the reader for a column from its declared type (`null` for expressions). */
export function valueReaderFor(declaredType: string | null): ValueReader {
  const type = (declaredType ?? '').toUpperCase();
  if (type === '' || type === 'NUM') return readUntyped;
  if (type.startsWith('TIMESTAMP') || type === 'DATETIME') return readTimestamp;
  if (type === 'BOOLEAN' || type === 'BOOL') return readBoolean;
  if (type === 'JSON') return readJson;
  return readInteger;
}

/** Converts every row in place with one reader per column; returns the same array. */
export function convertRows(rows: unknown[][], readers: readonly ValueReader[]): unknown[][] {
  const width = readers.length;
  for (const row of rows) {
    for (let c = 0; c < width; c++) row[c] = readers[c]!(row[c]);
  }
  return rows;
}

/** What better-sqlite3 can bind. */
export type SqliteBindValue = string | number | bigint | Buffer | Uint8Array | null;

/** Converts a query parameter for binding (the same rules as the writer, untyped). */
export function toBindValue(value: unknown): SqliteBindValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'bigint':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    default:
      if (value instanceof Date) return formatTimestamp(value);
      if (value instanceof Uint8Array) return value;
      throw new InvalidArgumentError(
        `Cannot bind a value of type ${describeType(value)} as a SQLite parameter.`,
      );
  }
}

function describeType(value: unknown): string {
  return value === null
    ? 'null'
    : typeof value === 'object'
      ? (value.constructor?.name ?? 'object')
      : typeof value;
}

/** Converts a value for writing into a column of `type`. */
export type ValueWriter = (value: WriteValue | undefined) => SqliteBindValue;

function writeText(value: WriteValue | undefined): SqliteBindValue {
  // A number bound to a TEXT column would be stored as '5.0'; stringify it ourselves.
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return toBindValue(value);
}

/** Epoch milliseconds and ISO text are accepted too (as the DuckDB writer does) and stored as UTC text. */
function writeTimestamp(value: WriteValue | undefined): SqliteBindValue {
  if (typeof value === 'number') return formatTimestamp(new Date(value));
  if (typeof value === 'string') {
    const parsed = parseTimestamp(value);
    return parsed instanceof Date ? formatTimestamp(parsed) : value;
  }
  return toBindValue(value);
}

function writeDate(value: WriteValue | undefined): SqliteBindValue {
  if (value instanceof Date) return formatTimestamp(value).slice(0, -13);
  if (typeof value === 'number') return formatTimestamp(new Date(value)).slice(0, -13);
  return toBindValue(value);
}

/**
 * A timestamp writer with its own day cache (`UtcTimestampText`): the bulk path formats one `Date`
 * per row, and rows in source order mostly share their UTC day. Same text as `formatTimestamp`.
 */
function timestampWriter(): ValueWriter {
  const text = new UtcTimestampText(' ', '');
  return (value) => {
    const time = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN;
    return text.format(time) ?? writeTimestamp(value);
  };
}

const WRITERS: Readonly<Record<Exclude<ColumnType, 'timestamp'>, ValueWriter>> = Object.freeze({
  string: writeText,
  json: writeText,
  int64: toBindValue,
  float64: toBindValue,
  boolean: toBindValue,
  date: writeDate,
});

/** A writer for a column type (exhaustive over ColumnType); take one per column of a bulk write. */
export function valueWriterFor(type: ColumnType): ValueWriter {
  return type === 'timestamp' ? timestampWriter() : WRITERS[type];
}
