import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { InvalidArgumentError } from '../errors.js';

/**
 * JSON text for values that may hold `bigint`s (or lossless-json numbers): their exact digits are
 * written as bare JSON numbers, so a 19-digit id stored in a JSON column reads back digit for digit.
 *
 * The common case (no bigint) is one native `JSON.stringify`, which is the fast path of ingestion.
 * A plain object with bigints among its own members (Mixpanel's big ids) is written member by
 * member. Deeper bigints make the native call throw; it is then rerun with a replacer that writes
 * each bigint as a marker string, and the markers are swapped for bare digits. The marker holds a
 * NUL character and a random per-process token, so real data cannot plausibly contain it.
 */
export function stringifyJson(value: unknown): string {
  let text: string | undefined;
  // Mixpanel's big ids sit at the top level of `properties`: a plain object holding a bigint there
  // is written member by member (measured 0.5 µs a row cheaper than a native stringify of a copy
  // with markers swapped back by a regular expression). Deeper bigints take the general path below.
  // Cheapest test first: most properties objects hold no bigint and go straight to the native call.
  if (hasTopLevelBigint(value) && isPlainRecord(value)) text = stringifyFlatRecord(value);
  else {
    try {
      text = JSON.stringify(value);
    } catch (error) {
      if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
      text = JSON.stringify(value, bigintMarkerReplacer).replace(MARKER_PATTERN, '$1');
    }
  }
  // JSON.stringify writes a lone UTF-16 surrogate as a `\udXXX` escape, which DuckDB and
  // PostgreSQL reject as JSON. Such text (or a literal backslash before "ud", the only other way to
  // get this substring) is rare, so only then is the value written again with lone surrogates
  // replaced by U+FFFD, as UTF-8 encoding does for every other string the engine stores.
  if (text.includes('\\ud')) {
    text = JSON.stringify(value, wellFormedReplacer).replace(MARKER_PATTERN, '$1');
  }
  return text;
}

/** A string JSON.stringify would write as `"` + itself + `"`: no quote, backslash, control character or surrogate. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what needs escaping.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** An object JSON.stringify writes as its own enumerable members (no prototype of its own, no `toJSON`). */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}

/** A non-array object with a bigint among its enumerable members. */
function hasTopLevelBigint(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) if (typeof record[key] === 'bigint') return true;
  return false;
}

/**
 * Exactly what `JSON.stringify` writes for a plain object, with bigints as bare digits: members in
 * the same order (for…in of a plain object visits own keys in OwnPropertyKeys order), members whose
 * value JSON cannot hold (undefined, functions, symbols) left out, nested values through
 * {@link stringifyJson}.
 */
function stringifyFlatRecord(record: Record<string, unknown>): string {
  let out = '{';
  for (const key in record) {
    const item = record[key];
    let text: string;
    switch (typeof item) {
      case 'string':
        text = NEEDS_ESCAPE.test(item) ? JSON.stringify(item) : `"${item}"`;
        break;
      case 'number':
        text = Number.isFinite(item) ? `${item}` : 'null';
        break;
      case 'bigint':
        text = item.toString();
        break;
      case 'boolean':
        text = item ? 'true' : 'false';
        break;
      case 'object':
        text = item === null ? 'null' : stringifyJson(item);
        break;
      default:
        continue;
    }
    out += out.length === 1 ? memberName(key) + text : `,${memberName(key)}${text}`;
  }
  return `${out}}`;
}

/**
 * `"key":` as JSON writes it. Events repeat the same few dozen property names, so the texts are
 * cached (bounded: names past the cap are quoted each time): measured ~0.5 µs a row cheaper than
 * testing a dozen names for characters to escape.
 */
function memberName(key: string): string {
  let name = MEMBER_NAMES.get(key);
  if (name === undefined) {
    name = `${JSON.stringify(key)}:`;
    if (MEMBER_NAMES.size < MAX_MEMBER_NAMES) MEMBER_NAMES.set(key, name);
  }
  return name;
}
const MEMBER_NAMES = new Map<string, string>();
const MAX_MEMBER_NAMES = 4096;

function wellFormedReplacer(key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !isLosslessNumber(value)) {
    const record = value as Record<string, unknown>;
    if (Object.keys(record).some((k) => !k.isWellFormed())) {
      return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toWellFormed(), v]));
    }
  }
  return bigintMarkerReplacer(key, value);
}

const TOKEN = `mpbig${Math.random().toString(36).slice(2, 10)}`;
// JSON.stringify writes the NUL as the six characters \u0000, which is what the pattern matches.
const MARKER_PATTERN = new RegExp(`"\\\\u0000${TOKEN}:(-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)"`, 'g');

function bigintMarkerReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `\u0000${TOKEN}:${value.toString()}`;
  if (isLosslessNumber(value)) return `\u0000${TOKEN}:${value.value}`;
  return value;
}

/**
 * Parses JSON keeping integers beyond ±(2^53−1) exact as `bigint`; other numbers are `number`.
 * Used where the engine receives JSON text from a caller and must not trust it unchecked.
 */
export function parseJsonLossless(text: string): unknown {
  return parseLossless(text, null, parseNumberLossless);
}

/** lossless-json number hook: unsafe integers become bigint, everything else a plain number. */
export function parseNumberLossless(digits: string): number | bigint {
  const n = Number(digits);
  if (Number.isSafeInteger(n) || !/^-?\d+$/.test(digits)) return n;
  return BigInt(digits);
}

/** Validates that `text` is a JSON object and returns canonical JSON text for it. */
export function canonicalJsonObject(text: string, what: string): string {
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(text);
  } catch (error) {
    throw new InvalidArgumentError(`${what} is not valid JSON`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`${what} must be a JSON object`);
  }
  return stringifyJson(parsed);
}
