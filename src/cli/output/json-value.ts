/**
 * JSON for CLI output. The library keeps 64-bit integers beyond ±(2^53−1) as `bigint`, which
 * `JSON.stringify` refuses and `Number()` would round. The CLI writes every `bigint` as a JSON
 * *string* of its exact digits (so JavaScript consumers never lose a digit); safe integers stay
 * numbers. Dates become ISO-8601 UTC strings.
 */
export function toJsonValue(value: unknown): unknown {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return null;
    case 'number':
      // NaN and Infinity are not JSON; `JSON.stringify` would silently write null.
      return Number.isFinite(value) ? value : String(value);
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (isLosslessNumber(value)) return losslessValue(value.value);
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v)]));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return toJsonValue(toJSON.call(value));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v);
  return out;
}

/** JSON text of a value under the {@link toJsonValue} rules; `indent` pretty-prints. */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(toJsonValue(value), null, indent);
}

/** The text of one cell in table, CSV and plain output. `null` and `undefined` are empty. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (typeof value === 'object' && isLosslessNumber(value)) return value.value;
  return jsonText(value);
}

/** lossless-json's number wrapper, recognised by shape so the CLI needs no import of it. */
function isLosslessNumber(value: object): value is { value: string } {
  return (value as { isLosslessNumber?: unknown }).isLosslessNumber === true;
}

/** A lossless number's digits: a plain number when exact, else the digits as a string. */
function losslessValue(digits: string): number | string {
  const n = Number(digits);
  return Number.isSafeInteger(n) || (!/^-?\d+$/.test(digits) && Number.isFinite(n)) ? n : digits;
}
