import { formatDayKey, parseDayKey } from './project-calendar.js';
import { compileWhere, WhereExpressionError, type WherePredicate } from './where-expression.js';

/** A parameter problem that becomes a 400 with this message. */
export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'BadRequest';
  }
}

const MIN_DAY = parseDayKey('2000-01-01') as number;

/** Reads a required `yyyy-mm-dd` parameter as a day number. */
export function requireDay(value: string | undefined, name: string): number {
  if (value === undefined || value === '') throw new BadRequest(`Missing required parameter: ${name}`);
  const day = parseDayKey(value);
  if (day === null)
    throw new BadRequest(`Error in ${name}: invalid date format, expected YYYY-MM-DD: ${value}`);
  if (day < MIN_DAY) throw new BadRequest(`Error in ${name}: invalid date, bad year`);
  return day;
}

/** Reads `from_date` and `to_date` and checks their order. */
export function requireDateRange(
  from: string | undefined,
  to: string | undefined,
): { from: number; to: number } {
  const fromDay = requireDay(from, 'from_date');
  const toDay = requireDay(to, 'to_date');
  if (fromDay > toDay) {
    throw new BadRequest(
      `from_date (${formatDayKey(fromDay)}) cannot be later than to_date (${formatDayKey(toDay)})`,
    );
  }
  return { from: fromDay, to: toDay };
}

/** Reads an optional positive integer with a default and an upper bound. */
export function optionalInt(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new BadRequest(`${name} must be a positive integer: ${value}`);
  const n = Number(value);
  if (n > max) throw new BadRequest(`${name} cannot exceed ${max}: ${value}`);
  return n;
}

/** Reads an optional boolean flag (`true`/`false`/`1`/`0`). */
export function optionalBool(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new BadRequest(`${name} must be true or false: ${value}`);
}

/** Compiles an optional where expression; unsupported syntax becomes a 400 naming it. */
export function optionalWhere(value: string | undefined, name = 'where'): WherePredicate | null {
  if (value === undefined || value.trim() === '') return null;
  try {
    return compileWhere(value);
  } catch (error) {
    if (error instanceof WhereExpressionError) throw new BadRequest(`Error in ${name}: ${error.message}`);
    throw error;
  }
}

/** Parses a parameter that must be a JSON array of strings. */
export function jsonStringArray(value: string, name: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new BadRequest(`${name} must be a JSON array of strings: ${value}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new BadRequest(`${name} must be a JSON array of strings: ${value}`);
  }
  return parsed as string[];
}
