import { userOf } from './event-aggregates.js';
import type { FakeDataSet } from './fake-data.js';
import { eventLookup } from './fake-data.js';
import type { FakeEvent } from './fake-events.js';
import { getOrInsert } from './get-or-insert.js';
import { DAY_MS, formatDayKey } from './project-calendar.js';
import { bucketSeries, bucketStartDay } from './time-buckets.js';
import type { WherePredicate } from './where-expression.js';

/** A validated birth-retention query. */
export interface RetentionQuery {
  readonly fromDay: number;
  readonly toDay: number;
  readonly bornEvent: string;
  /** Return event; `null` means any event. */
  readonly event: string | null;
  readonly bornWhere: WherePredicate | null;
  readonly where: WherePredicate | null;
  readonly unit: 'day' | 'week';
  /** Units per interval. */
  readonly interval: number;
  readonly intervalCount: number;
  readonly unbounded: boolean;
}

/** One cohort row. */
export interface RetentionRow {
  counts: number[];
  first: number;
}

/**
 * The fake's simplified birth retention: a user is born at their first `born_event` in
 * [from, to] and belongs to the cohort of that bucket (days, or 7-day blocks from `from_date`).
 * `counts[i]` is the number of cohort users with a return event in [birth + i·L, birth + (i+1)·L),
 * where L is one interval; the birth event itself counts in interval 0 when it is also a return
 * event. With `unbounded`, `counts[i]` counts users who returned in interval i or later. Intervals
 * that start after the fake `now` are left out, so recent cohorts have shorter rows.
 */
export function retentionReport(
  data: FakeDataSet,
  q: RetentionQuery,
  nowMs: number,
): Record<string, RetentionRow> {
  const intervalMs = (q.unit === 'day' ? 1 : 7) * q.interval * DAY_MS;
  const births = new Map<string, { time: number; cohort: number }>();
  const bornSource =
    q.bornWhere === null
      ? data.winnerHeadsInRange(q.fromDay, q.toDay, nowMs)
      : data.winnersInRange(q.fromDay, q.toDay, nowMs);
  for (const event of bornSource) {
    const user = userOf(event);
    if (user === null || event.event !== q.bornEvent) continue;
    if (q.bornWhere !== null && !q.bornWhere(eventLookup(event as FakeEvent))) continue;
    const known = births.get(user);
    if (known === undefined || event.trueTimeMs < known.time) {
      births.set(user, { time: event.trueTimeMs, cohort: bucketStartDay(q.unit, event.day, q.fromDay) });
    }
  }
  const returned = new Map<string, Set<number>>();
  const horizonDay = q.toDay + Math.ceil(((q.intervalCount + 1) * intervalMs) / DAY_MS);
  const returnSource =
    q.where === null
      ? data.winnerHeadsInRange(q.fromDay, horizonDay, nowMs)
      : data.winnersInRange(q.fromDay, horizonDay, nowMs);
  for (const event of returnSource) {
    const user = userOf(event);
    const birth = user === null ? undefined : births.get(user);
    if (user === null || birth === undefined || event.trueTimeMs < birth.time) continue;
    if (q.event !== null && event.event !== q.event) continue;
    if (q.where !== null && !q.where(eventLookup(event as FakeEvent))) continue;
    const index = Math.floor((event.trueTimeMs - birth.time) / intervalMs);
    if (index > q.intervalCount) continue;
    const set = getOrInsert(returned, user, () => new Set());
    set.add(index);
  }
  const rows: Record<string, RetentionRow> = {};
  for (const key of bucketSeries(q.unit, q.fromDay, q.toDay)) rows[key] = { counts: [], first: 0 };
  const members = new Map<string, string[]>();
  for (const [user, birth] of births) {
    const key = formatDayKey(birth.cohort);
    const row = rows[key];
    if (!row) continue;
    row.first++;
    const list = getOrInsert(members, key, () => []);
    list.push(user);
  }
  for (const [key, row] of Object.entries(rows)) {
    const cohortStart = data.calendar.dayStartMs(
      bucketStartDay(q.unit, Number(Date.parse(key) / DAY_MS), q.fromDay),
    );
    for (let i = 0; i <= q.intervalCount && cohortStart + i * intervalMs <= nowMs; i++) {
      let n = 0;
      for (const user of members.get(key) ?? []) {
        const set = returned.get(user);
        if (!set) continue;
        if (q.unbounded ? Math.max(...set) >= i : set.has(i)) n++;
      }
      row.counts.push(n);
    }
  }
  return rows;
}
