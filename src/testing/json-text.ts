/**
 * JSON text for the fake's responses. Mixpanel writes 64-bit ids as bare numbers, which
 * `JSON.stringify` cannot do with a `bigint`, so the fake has its own small writer.
 */

/** A JSON value as the fake models it: integers beyond 2^53 are `bigint` and print as bare digits. */
export type FakeJsonValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | readonly FakeJsonValue[]
  | { readonly [key: string]: FakeJsonValue };

const quotedKeys = new Map<string, string>();

/** `JSON.stringify(key)`, memoised: the same few hundred property names recur on every line. */
export function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * Decimal text of a number. Integers beyond 2^31 (epoch milliseconds, on every line) are heap
 * numbers in V8 and slow to print; splitting them into two small integers is ~2x faster.
 */
export function numberText(n: number): string {
  if (n >= 2_147_483_648 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n)) {
    const high = Math.floor(n / 1_000_000);
    return `${high}${String(n - high * 1_000_000 + 1_000_000).slice(1)}`;
  }
  return String(n);
}

const quotedValues = new Map<string, string>();

/**
 * `JSON.stringify(text)` for short strings, memoised. Most string values come from small
 * vocabularies (cities, libraries, ids of a few thousand users), so the cache hit rate is high;
 * unique strings simply fill it up to its bound and then pass through.
 */
export function quoteString(text: string): string {
  let quoted = quotedValues.get(text);
  if (quoted === undefined) {
    quoted = JSON.stringify(text);
    if (text.length <= 64 && quotedValues.size < 100_000) quotedValues.set(text, quoted);
  }
  return quoted;
}

/**
 * Serialises a value compactly. Strings go through `JSON.stringify`, which leaves U+2028 and
 * U+2029 raw, as Mixpanel does.
 */
export function toJsonText(value: FakeJsonValue | undefined): string {
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'number':
      return Number.isFinite(value) ? numberText(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    default:
      break;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      text += toJsonText(value[i] as FakeJsonValue);
    }
    return `${text}]`;
  }
  let text = '{';
  let first = true;
  for (const key in value as { readonly [key: string]: FakeJsonValue }) {
    const item = (value as { readonly [key: string]: FakeJsonValue })[key];
    if (item === undefined) continue;
    text += first ? quoteKey(key) : `,${quoteKey(key)}`;
    text += `:${toJsonText(item)}`;
    first = false;
  }
  return `${text}}`;
}

/**
 * The `{"request": ..., "error": ...}` body Mixpanel sends with errors, spaced the way its
 * Python services print JSON (`", "` and `": "`).
 */
export function errorBodyText(request: string, error: string): string {
  return `{"request": ${JSON.stringify(request)}, "error": ${JSON.stringify(error)}}`;
}
