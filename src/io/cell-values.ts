import type { ColumnType, WriteValue } from '../backend/column-types.js';
import { toSafeInteger } from '../values/integers.js';
import { stringifyJson } from '../values/json-text.js';
import { canonicalJsonText } from './canonical-json.js';

/**
 * One table cell, as read under the value rule (`backend/result-set.ts`), converted for each place
 * it goes: a typed value for a target table, canonical text for checksums, and the text of CSV
 * and JSON-lines files. Each conversion is chosen by the column's portable type, so a value means
 * the same thing on every engine (a DECIMAL read as exact text still counts as a number).
 */

/** Text of a value in a `string` column (Dates as ISO-8601, binary as base64, structures as JSON). */
export function cellText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && value !== null) return stringifyJson(value);
  return String(value);
}

/** A `Date` for a timestamp cell, or null when the value is no real instant (e.g. `infinity`). */
export function cellDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string') {
    const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
    const date = new Date(text.replace(' ', 'T'));
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
}

/** `YYYY-MM-DD` for a date cell. */
export function cellDay(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

function cellInteger(value: unknown): number | bigint | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'bigint') return toSafeInteger(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return toSafeInteger(BigInt(value.trim()));
  if (typeof value === 'string') {
    const n = Number(value);
    return Number.isFinite(n) ? Math.trunc(n) : null;
  }
  return null;
}

function cellFloat(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function cellBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value === 'true' || value === 't' || value === '1';
  return Number(value) !== 0;
}

/** The value to write into a column of `type` on any backend. */
export function toWriteValue(value: unknown, type: ColumnType): WriteValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
    case 'json':
      return cellText(value);
    case 'timestamp':
      return cellDate(value);
    case 'date':
      return cellDay(value);
    case 'int64':
      return cellInteger(value);
    case 'float64':
      return cellFloat(value);
    case 'boolean':
      return cellBoolean(value);
  }
}

/** Canonical JSON text of a cell for checksums (see `table-checksum.ts`). */
export function canonicalCell(value: unknown, type: ColumnType): string {
  if (value === null || value === undefined) return 'null';
  switch (type) {
    case 'string':
      return JSON.stringify(cellText(value));
    case 'json':
      return canonicalJsonText(cellText(value));
    case 'timestamp': {
      const date = cellDate(value);
      return JSON.stringify(date === null ? String(value) : date.toISOString());
    }
    case 'date':
      return JSON.stringify(cellDay(value));
    case 'int64': {
      const n = cellInteger(value);
      return n === null ? 'null' : String(n);
    }
    case 'float64': {
      const n = cellFloat(value);
      if (!Number.isFinite(n)) return JSON.stringify(String(n));
      return Object.is(n, -0) ? '0' : String(n);
    }
    case 'boolean':
      return cellBoolean(value) ? 'true' : 'false';
  }
}

/**
 * The JSON value text of a cell in a JSON-lines file or spool: timestamps as ISO-8601 strings,
 * integers as bare digits (exact beyond 2^53), JSON columns as the document itself (`asText`: as a
 * string holding the document, which is what the spool wants), non-finite floats as strings.
 */
export function jsonCell(value: unknown, type: ColumnType, asText = false): string {
  if (value === null || value === undefined) return 'null';
  switch (type) {
    case 'string':
      return JSON.stringify(cellText(value));
    case 'json': {
      const text = cellText(value);
      return asText || !isJsonText(text) ? JSON.stringify(text) : text;
    }
    case 'timestamp': {
      const date = cellDate(value);
      return date === null ? 'null' : JSON.stringify(date.toISOString());
    }
    case 'date':
      return JSON.stringify(cellDay(value));
    case 'int64': {
      const n = cellInteger(value);
      return n === null ? 'null' : String(n);
    }
    case 'float64': {
      const n = cellFloat(value);
      return Number.isFinite(n) ? String(n) : JSON.stringify(String(n));
    }
    case 'boolean':
      return cellBoolean(value) ? 'true' : 'false';
  }
}

/** SQLite does not validate JSON columns: text that is not JSON is written as a string instead. */
function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The text of a cell in a CSV file (`null` for SQL NULL, written as an empty unquoted field). */
export function csvCellText(value: unknown, type: ColumnType): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamp': {
      const date = cellDate(value);
      return date === null ? String(value) : date.toISOString();
    }
    case 'date':
      return cellDay(value);
    case 'int64': {
      const n = cellInteger(value);
      return n === null ? null : String(n);
    }
    case 'float64':
      return String(cellFloat(value));
    case 'boolean':
      return cellBoolean(value) ? 'true' : 'false';
    default:
      return cellText(value);
  }
}
