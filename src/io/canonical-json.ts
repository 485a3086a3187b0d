import { parseJsonLossless } from '../mixpanel/lossless-json-line.js';
import { scanCanonicalJson } from './canonical-json-scan.js';

/**
 * Canonical JSON text: the same document gives the same text whichever engine stored it.
 *
 * Engines rewrite JSON: PostgreSQL's jsonb reorders keys, adds spaces, and writes `1e+21` as
 * `1000000000000000000000`; DuckDB and SQLite keep the text. Canonical form therefore:
 * - object keys sorted by UTF-16 code units (duplicates: the last wins, as everywhere);
 * - integers below 10^21 in magnitude as their exact decimal digits (bigints included);
 * - every other number as JavaScript's shortest round-trip form (`1e+21`, `1.5e-7`, `0.1`), which is
 *   what a 64-bit double reads back as on every engine;
 * - strings as `JSON.stringify` writes them; no whitespace.
 */

const EXPONENT_LIMIT = 10n ** 21n;

function canonicalNumber(value: number): string {
  if (!Number.isFinite(value)) return JSON.stringify(String(value));
  if (Object.is(value, -0)) return '0';
  return String(value);
}

function canonicalBigint(value: bigint): string {
  const magnitude = value < 0n ? -value : value;
  // Beyond 10^21 JavaScript writes doubles in exponent form; an engine may spell the same double
  // in full digits, so both are compared as the double they stand for.
  return magnitude < EXPONENT_LIMIT ? value.toString() : canonicalNumber(Number(value));
}

/** Canonical text of a parsed JSON value (bigints allowed). */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return canonicalNumber(value);
    case 'bigint':
      return canonicalBigint(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (i > 0) out += ',';
        out += `${JSON.stringify(key)}:${canonicalJson(record[key])}`;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}

/** Canonical text of JSON text; text that is not JSON is treated as a plain string. */
export function canonicalJsonText(text: string): string {
  const scanned = scanCanonicalJson(text);
  if (scanned !== null) return scanned;
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(text);
  } catch {
    return JSON.stringify(text);
  }
  return canonicalJson(parsed);
}
