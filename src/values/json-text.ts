import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { InvalidArgumentError } from '../errors.js';

/**
 * JSON text for values that may hold `bigint`s (or lossless-json numbers): their exact digits are
 * written as bare JSON numbers, so a 19-digit id stored in a JSON column reads back digit for digit.
 *
 * The common case (no bigint) is one native `JSON.stringify`, which is the fast path of ingestion.
 * Only when that throws on a bigint do we rerun it with a replacer that writes each bigint as a
 * marker string and then swaps the markers for bare digits. The marker holds a NUL character and a
 * random per-process token, so real data cannot plausibly contain it.
 */
export function stringifyJson(value: unknown): string {
  // Mixpanel's big ids sit at the top level of `properties`: swap them for markers in a shallow copy
  // and keep the single native stringify, instead of paying for an exception and a replacer call
  // per key. Deeper bigints take the general path below.
  let copy: Record<string, unknown> | undefined;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const item = record[key];
      if (typeof item === 'bigint') {
        copy ??= { ...record };
        copy[key] = `\u0000${TOKEN}:${item.toString()}`;
      }
    }
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(copy ?? value);
    if (copy) text = text.replace(MARKER_PATTERN, '$1');
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
  }
  text ??= JSON.stringify(value, bigintMarkerReplacer).replace(MARKER_PATTERN, '$1');
  // JSON.stringify writes a lone UTF-16 surrogate as a `\udXXX` escape, which DuckDB and
  // PostgreSQL reject as JSON. Such text (or a literal backslash before "ud", the only other way to
  // get this substring) is rare, so only then is the value written again with lone surrogates
  // replaced by U+FFFD, as UTF-8 encoding does for every other string the engine stores.
  if (text.includes('\\ud')) {
    text = JSON.stringify(value, wellFormedReplacer).replace(MARKER_PATTERN, '$1');
  }
  return text;
}

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
