import type { FakeEventHead } from './fake-events.js';
import { DAY_MS, formatDayKey, HOUR_MS } from './project-calendar.js';

/** Report bucket sizes. Weeks are 7-day blocks starting at `from_date`; months are calendar months. */
export type BucketUnit = 'hour' | 'day' | 'week' | 'month';

function monthStartDay(day: number): number {
  const date = new Date(day * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / DAY_MS;
}

/** The first project day of the bucket holding `day`. */
export function bucketStartDay(unit: BucketUnit, day: number, fromDay: number): number {
  if (unit === 'week') return fromDay + Math.floor((day - fromDay) / 7) * 7;
  if (unit === 'month') return monthStartDay(day);
  return day;
}

/**
 * The bucket label of an event in the project calendar: `yyyy-mm-dd` for day, week and month
 * buckets (the first day), `yyyy-mm-dd HH:00:00` for hours.
 */
export function bucketKeyOf(unit: BucketUnit, event: FakeEventHead, fromDay: number): string {
  if (unit === 'hour') {
    const hour = Math.floor((event.timeMs - event.day * DAY_MS) / HOUR_MS);
    return `${formatDayKey(event.day)} ${String(Math.min(23, Math.max(0, hour))).padStart(2, '0')}:00:00`;
  }
  return formatDayKey(bucketStartDay(unit, event.day, fromDay));
}

/** Every bucket label of [fromDay, toDay], in order. */
export function bucketSeries(unit: BucketUnit, fromDay: number, toDay: number): string[] {
  const keys: string[] = [];
  for (let day = fromDay; day <= toDay; day++) {
    if (unit === 'hour') {
      for (let hour = 0; hour < 24; hour++)
        keys.push(`${formatDayKey(day)} ${String(hour).padStart(2, '0')}:00:00`);
      continue;
    }
    const key = formatDayKey(bucketStartDay(unit, day, fromDay));
    if (keys[keys.length - 1] !== key) keys.push(key);
  }
  return keys;
}
