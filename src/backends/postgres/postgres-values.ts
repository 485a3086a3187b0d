import pg from 'pg';
import { toSafeInteger } from '../../values/integers.js';

/**
 * PostgreSQL text values → JavaScript, following the value rule of `backend/result-set.ts`.
 *
 * These parsers are installed per client (the `types` option of the pool), never on the global
 * `pg.types`, so other users of `pg` in the same process keep the driver's defaults.
 *
 * - int8 → number when safe, else bigint (the driver's default is a string);
 * - numeric → number when the decimal text survives a round trip through a double unchanged
 *   (`1.50`, `0.1`, `42`), else the exact text (`12345678901234567.89`); NaN/±Infinity → numbers;
 * - timestamp WITHOUT time zone → `Date` read as UTC (the driver reads it as local time, so the
 *   value would shift with the process's TZ); timestamptz → `Date`;
 *   `infinity`/`-infinity` → those strings (a Date cannot hold them);
 * - date → `'YYYY-MM-DD'` text (the driver makes a local-midnight Date);
 * - json/jsonb → JSON text, unparsed (the driver parses it);
 * - interval → its text (the driver makes an object);
 * - arrays of these types → arrays of the same conversions. Everything else keeps the driver's parser.
 */

const OID = Object.freeze({
  int8: 20,
  json: 114,
  jsonArray: 199,
  date: 1082,
  timestamp: 1114,
  timestampArray: 1115,
  dateArray: 1182,
  timestamptz: 1184,
  timestamptzArray: 1185,
  interval: 1186,
  intervalArray: 1187,
  int8Array: 1016,
  numeric: 1700,
  numericArray: 1231,
  jsonb: 3802,
  jsonbArray: 3807,
  textArray: 1009,
});

/** int8 text → number when it is a safe integer, else bigint. Up to 15 digits is always safe. */
export function parseInt8(text: string): number | bigint {
  return text.length < 16 ? Number(text) : toSafeInteger(BigInt(text));
}

function canonicalDecimal(text: string): string {
  let s = text;
  let sign = '';
  if (s.startsWith('-')) {
    sign = '-';
    s = s.slice(1);
  }
  let [int = '', frac = ''] = s.split('.');
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return body === '0' ? '0' : sign + body;
}

/** numeric text → number when exact in the sense above, else the text itself. */
export function parseNumeric(text: string): number | string {
  if (text === 'NaN') return Number.NaN;
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
  const n = Number(text);
  const back = String(n);
  // An exponent form (< 1e-6 or >= 1e21) is not compared digit by digit: keep the exact text.
  if (!Number.isFinite(n) || back.includes('e')) return text;
  return canonicalDecimal(back) === canonicalDecimal(text) ? n : text;
}

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([+-])(\d\d)(?::?(\d\d)(?::?(\d\d))?)?|Z)?( BC)?$/;

/**
 * PostgreSQL timestamp text (DateStyle ISO) → `Date`. Without an offset the text is read as UTC.
 * Sub-millisecond digits are truncated (Date has millisecond resolution).
 */
export function parseTimestamp(text: string): Date | string {
  const m = TIMESTAMP.exec(text);
  if (!m) return text; // 'infinity', '-infinity', or a DateStyle someone changed: keep the text
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os, bc] = m;
  const year = bc ? 1 - Number(y) : Number(y);
  const ms = frac ? Number(`${frac}00`.slice(0, 3)) : 0;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), ms);
  if (sign) {
    const offsetMs = ((Number(oh) * 60 + Number(om ?? 0)) * 60 + Number(os ?? 0)) * 1000;
    date.setTime(date.getTime() - (sign === '-' ? -offsetMs : offsetMs));
  }
  return date;
}

const identity = (text: string) => text;

// Read-only use of the driver's global registry: its array-literal parser for text[] splits
// `{a,"b c",NULL}` into strings and nulls, which our element parsers then convert.
// (The typings only list scalar type OIDs, hence the widening cast.)
const getDefaultParser = pg.types.getTypeParser as (
  oid: number,
  format?: string,
) => (text: string) => unknown;
const parseTextArray = getDefaultParser(OID.textArray, 'text');

function arrayOf(parse: (text: string) => unknown): (text: string) => unknown {
  const mapDeep = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(mapDeep) : value === null ? null : parse(value as string);
  return (text) => mapDeep(parseTextArray(text));
}

const TEXT_PARSERS: ReadonlyMap<number, (text: string) => unknown> = new Map<
  number,
  (text: string) => unknown
>([
  [OID.int8, parseInt8],
  [OID.int8Array, arrayOf(parseInt8)],
  [OID.numeric, parseNumeric],
  [OID.numericArray, arrayOf(parseNumeric)],
  [OID.timestamp, parseTimestamp],
  [OID.timestampArray, arrayOf(parseTimestamp)],
  [OID.timestamptz, parseTimestamp],
  [OID.timestamptzArray, arrayOf(parseTimestamp)],
  [OID.date, identity],
  [OID.dateArray, arrayOf(identity)],
  [OID.json, identity],
  [OID.jsonArray, arrayOf(identity)],
  [OID.jsonb, identity],
  [OID.jsonbArray, arrayOf(identity)],
  [OID.interval, identity],
  [OID.intervalArray, arrayOf(identity)],
]);

/** The `types` option for every client this backend opens. */
export const POSTGRES_TYPE_PARSERS: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      const parser = TEXT_PARSERS.get(oid);
      if (parser) return parser;
    }
    return getDefaultParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * A `Date` as PostgreSQL timestamp text in UTC. Years 1–9999 use ISO-8601 with `Z`; others (which
 * `toISOString` writes as `+010000-…`/`-000001-…`, unreadable to PostgreSQL) use `YYYYY-MM-DD
 * HH:MM:SS.mmm[ BC]`, read as UTC because every session runs with TimeZone=UTC.
 */
export function formatTimestampUtc(date: Date): string {
  const year = date.getUTCFullYear();
  if (year >= 1 && year <= 9999) return date.toISOString();
  if (Number.isNaN(year)) throw new RangeError('Invalid Date');
  const bc = year <= 0;
  return (
    `${pad(bc ? 1 - year : year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.` +
    `${pad(date.getUTCMilliseconds(), 3)}${bc ? ' BC' : ''}`
  );
}

/** A `Date` as `YYYY-MM-DD` of its UTC calendar day. */
export function formatDateUtc(date: Date): string {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year)) throw new RangeError('Invalid Date');
  const bc = year <= 0;
  return `${pad(bc ? 1 - year : year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}${bc ? ' BC' : ''}`;
}

/**
 * A bound parameter in a form the driver sends losslessly: `Date` → UTC timestamp text (the driver
 * would send local time with an offset, which a TIMESTAMP column silently drops), `bigint` → digits,
 * `undefined` → NULL; arrays element by element.
 */
export function toPostgresParam(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return formatTimestampUtc(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toPostgresParam);
  return value;
}
