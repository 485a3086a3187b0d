import { parse as losslessParse, type ParseOptions } from 'lossless-json';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * Number parser for lossless-json: an integer literal outside ±(2^53−1) becomes a `bigint` with its
 * exact digits; every other literal (fractions, exponents, safe integers) becomes a `number`, exactly
 * as `JSON.parse` would produce it.
 */
export function parseJsonNumber(text: string): number | bigint {
  if (text.length >= 16 && INTEGER_LITERAL.test(text)) {
    const big = BigInt(text);
    if (big > MAX_SAFE || big < -MAX_SAFE) return big;
  }
  return Number(text);
}

/** True when `value` (a `JSON.parse` result) holds a number that may have lost precision. */
function hasUnsafeNumber(value: unknown): boolean {
  if (typeof value === 'number') return value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasUnsafeNumber(value[i])) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) if (hasUnsafeNumber(record[key])) return true;
  return false;
}

/**
 * Parses JSON text losslessly: integer literals beyond ±(2^53−1) become `bigint`, all other numbers
 * `number`. Duplicate keys keep the last value, like `JSON.parse`. Throws `SyntaxError` on invalid JSON.
 *
 * Fast path: `JSON.parse` first, then a walk of the result. Any integer beyond 2^53 parses to a
 * double whose magnitude exceeds `MAX_SAFE_INTEGER`, so the walk detects every value that may have
 * been rounded; only then is the text parsed again with lossless-json (about 4x slower). A walk is
 * cheaper than scanning the text for 16-digit runs with a regular expression (measured).
 */
export function parseJsonLossless(text: string): unknown {
  const fast: unknown = JSON.parse(text);
  if (!hasUnsafeNumber(fast)) return fast;
  return losslessParse(text, null, LOSSLESS_OPTIONS);
}

const LOSSLESS_OPTIONS: ParseOptions = {
  parseNumber: parseJsonNumber,
  onDuplicateKey: (info) => info.newValue,
};

/**
 * A stateful lossless parser for a stream of JSON lines. Streams tend to carry big integers either on
 * most lines (an id property on every event) or on few. After two lines in a row needed the lossless
 * parser, lines go straight to it (skipping the wasted `JSON.parse`); as soon as a line turns out to
 * hold no big integer, the fast path is used again. Results are identical to {@link parseJsonLossless}.
 */
export class LosslessLineParser {
  /** Consecutive lines that held a big integer. */
  #streak = 0;
  #sawBig = false;
  readonly #options: ParseOptions = {
    parseNumber: (text: string) => {
      const value = parseJsonNumber(text);
      if (typeof value === 'bigint') this.#sawBig = true;
      return value;
    },
    onDuplicateKey: (info) => info.newValue,
  };

  /** Parses one line; throws `SyntaxError` on invalid JSON. */
  parse(text: string): unknown {
    if (this.#streak >= 2) {
      this.#sawBig = false;
      const value = losslessParse(text, null, this.#options);
      this.#streak = this.#sawBig ? this.#streak + 1 : 0;
      return value;
    }
    const fast: unknown = JSON.parse(text);
    if (!hasUnsafeNumber(fast)) {
      this.#streak = 0;
      return fast;
    }
    this.#streak++;
    return losslessParse(text, null, LOSSLESS_OPTIONS);
  }
}
