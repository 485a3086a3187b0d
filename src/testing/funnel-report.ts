import { userOf } from './event-aggregates.js';
import type { FakeDataSet } from './fake-data.js';
import { eventLookup } from './fake-data.js';
import type { FakeEvent } from './fake-events.js';
import type { FakeFunnel } from './fake-population.js';
import { getOrInsert } from './get-or-insert.js';
import { DAY_MS, formatDayKey } from './project-calendar.js';
import { type BucketUnit, bucketSeries, bucketStartDay } from './time-buckets.js';
import type { WherePredicate } from './where-expression.js';

/** A validated `/funnels` query. */
export interface FunnelQuery {
  readonly funnel: FakeFunnel;
  readonly fromDay: number;
  readonly toDay: number;
  /** Conversion window, measured from the first step. */
  readonly lengthMs: number;
  readonly unit: Exclude<BucketUnit, 'hour'>;
  readonly where: WherePredicate | null;
}

/** One funnel step in the response. */
export interface FunnelStep {
  count: number;
  avg_time: number | null;
  avg_time_from_start: number | null;
  step_conv_ratio: number;
  overall_conv_ratio: number;
  goal: string;
  event: string;
}

/** The funnel of one date bucket. */
export interface FunnelBucket {
  steps: FunnelStep[];
  analysis: { completion: number; starting_amount: number; steps: number; worst: number };
}

interface Occurrence {
  readonly name: string;
  readonly time: number;
}

/**
 * The fake's simplified funnel: in each bucket, a user enters at their first step-1 event of that
 * bucket (within [from, to]); step k counts when the user does step k's event at or after reaching
 * step k-1 and no later than `lengthMs` after entering. Only deduplicated events with a non-empty
 * `distinct_id` (and passing `where`) count. `avg_time` is the mean seconds from the previous step
 * (null on the first step or when nobody reached it); `avg_time_from_start` from the first step.
 */
export function funnelReport(
  data: FakeDataSet,
  q: FunnelQuery,
  nowMs: number,
): { meta: { dates: string[] }; data: Record<string, FunnelBucket> } {
  const steps = q.funnel.steps;
  const names = new Set(steps);
  const timelines = new Map<string, Occurrence[]>();
  const entries = new Map<string, Map<string, number>>();
  const lastDay = q.toDay + Math.ceil(q.lengthMs / DAY_MS);
  // Properties are generated only when a where clause needs them.
  const source =
    q.where === null
      ? data.winnerHeadsInRange(q.fromDay, lastDay, nowMs)
      : data.winnersInRange(q.fromDay, lastDay, nowMs);
  for (const event of source) {
    const user = userOf(event);
    if (user === null || !names.has(event.event)) continue;
    if (q.where !== null && !q.where(eventLookup(event as FakeEvent))) continue;
    const timeline = getOrInsert(timelines, user, () => []);
    timeline.push({ name: event.event, time: event.trueTimeMs });
    if (event.event === steps[0] && event.day <= q.toDay) {
      const bucket = formatDayKey(bucketStartDay(q.unit, event.day, q.fromDay));
      const byBucket = getOrInsert(entries, user, () => new Map());
      const previous = byBucket.get(bucket);
      if (previous === undefined || event.trueTimeMs < previous) byBucket.set(bucket, event.trueTimeMs);
    }
  }
  const dates = bucketSeries(q.unit, q.fromDay, q.toDay);
  const counts = new Map(dates.map((d) => [d, steps.map(() => ({ n: 0, fromPrevious: 0, fromStart: 0 }))]));
  for (const [user, byBucket] of entries) {
    const timeline = (timelines.get(user) ?? []).sort((a, b) => a.time - b.time);
    for (const [bucket, start] of byBucket) {
      const tally = counts.get(bucket);
      if (!tally) continue;
      (tally[0] as { n: number }).n++;
      let previous = start;
      let index = timeline.findIndex((o) => o.time === start && o.name === steps[0]) + 1;
      for (let k = 1; k < steps.length; k++) {
        while (index < timeline.length && (timeline[index] as Occurrence).name !== steps[k]) index++;
        const hit = timeline[index];
        if (hit === undefined || hit.time > start + q.lengthMs) break;
        const slot = tally[k] as { n: number; fromPrevious: number; fromStart: number };
        slot.n++;
        slot.fromPrevious += hit.time - previous;
        slot.fromStart += hit.time - start;
        previous = hit.time;
        index++;
      }
    }
  }
  const result: Record<string, FunnelBucket> = {};
  for (const date of dates) {
    const tally = counts.get(date) ?? [];
    const first = tally[0]?.n ?? 0;
    const funnelSteps: FunnelStep[] = tally.map((t, k) => {
      const prior = k === 0 ? t.n : (tally[k - 1]?.n ?? 0);
      return {
        count: t.n,
        avg_time: k === 0 || t.n === 0 ? null : Math.round(t.fromPrevious / t.n / 1000),
        avg_time_from_start: k === 0 || t.n === 0 ? null : Math.round(t.fromStart / t.n / 1000),
        step_conv_ratio: k === 0 ? 1 : prior === 0 ? 0 : t.n / prior,
        overall_conv_ratio: k === 0 ? 1 : first === 0 ? 0 : t.n / first,
        goal: steps[k] as string,
        event: steps[k] as string,
      };
    });
    let worst = steps.length > 1 ? 1 : 0;
    for (let k = 2; k < funnelSteps.length; k++) {
      if ((funnelSteps[k] as FunnelStep).step_conv_ratio < (funnelSteps[worst] as FunnelStep).step_conv_ratio)
        worst = k;
    }
    result[date] = {
      steps: funnelSteps,
      analysis: {
        completion: funnelSteps[funnelSteps.length - 1]?.count ?? 0,
        starting_amount: first,
        steps: steps.length,
        worst,
      },
    };
  }
  return { meta: { dates }, data: result };
}
