/**
 * Result values → the plain types the introspection helpers return. Engines differ in what a count
 * or an aggregate comes back as (number, bigint, numeric text), so every read goes through here.
 */

/** A count as a number. Counts never approach 2^53, so the conversion of a bigint is exact. */
export function asCount(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  return 0;
}

/** An aggregate such as `avg` as a number, or null when the engine returned NULL. */
export function asNumberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}

/**
 * A value as portable text: numbers and bigints with their exact digits, timestamps as ISO-8601 UTC,
 * booleans as `true`/`false`. The SQL side (`valueTextSql`) already renders the types whose text
 * would otherwise differ between engines.
 */
export function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return String(value);
}
