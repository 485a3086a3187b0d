import { InvalidArgumentError } from '../errors.js';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Checks a `yyyy-mm-dd` calendar date; throws {@link InvalidArgumentError} naming `field`. */
export function checkDate(value: string, field: string): string {
  const m = typeof value === 'string' ? DATE_RE.exec(value) : null;
  if (m !== null) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const t = Date.UTC(y, mo - 1, d);
    const back = new Date(t);
    if (
      back.getUTCFullYear() === y &&
      back.getUTCMonth() === mo - 1 &&
      back.getUTCDate() === d &&
      y >= 2000
    ) {
      return value;
    }
  }
  throw new InvalidArgumentError(`${field} must be a date in yyyy-mm-dd form, in the year 2000 or later.`, {
    details: { field },
  });
}

/** Checks both dates and that `fromDate <= toDate`. */
export function checkDateRange(fromDate: string, toDate: string): void {
  checkDate(fromDate, 'fromDate');
  checkDate(toDate, 'toDate');
  if (fromDate > toDate) {
    throw new InvalidArgumentError(`fromDate (${fromDate}) is after toDate (${toDate}).`, {
      details: { fromDate, toDate },
    });
  }
}

/** "Today" as `yyyy-mm-dd`: in UTC, or in the given IANA time zone (pre-2023 projects). */
export function todayIn(nowMs: number, timeZone?: string): string {
  if (timeZone === undefined || timeZone === 'UTC') return new Date(nowMs).toISOString().slice(0, 10);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(nowMs));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Adds whole days to a `yyyy-mm-dd` date. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Inclusive number of days from `fromDate` to `toDate`. */
export function daysBetween(fromDate: string, toDate: string): number {
  return Math.round((Date.parse(`${toDate}T00:00:00Z`) - Date.parse(`${fromDate}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Result of {@link clampToToday}. */
export interface ClampedRange {
  fromDate: string;
  toDate: string;
  /** Set when `toDate` was moved back to today. */
  clampedFrom?: string;
}

/**
 * Validates a range and moves `toDate` back to `today` when it lies in the future (Mixpanel answers
 * 400 otherwise). A range that starts after today is an {@link InvalidArgumentError}.
 */
export function clampToToday(fromDate: string, toDate: string, today: string): ClampedRange {
  checkDateRange(fromDate, toDate);
  if (fromDate > today) {
    throw new InvalidArgumentError(
      `fromDate (${fromDate}) is after today (${today}); there is no data yet.`,
      {
        details: { fromDate, toDate, today },
      },
    );
  }
  if (toDate > today) return { fromDate, toDate: today, clampedFrom: toDate };
  return { fromDate, toDate };
}
