import { type MeasureType, userOf, valueText } from './event-aggregates.js';
import type { FakeDataSet } from './fake-data.js';
import { eventLookup } from './fake-data.js';
import type { FakeEvent } from './fake-events.js';
import { getOrInsert } from './get-or-insert.js';
import type { Exchange } from './http-exchange.js';
import { BadRequest, optionalInt, optionalWhere, requireDateRange } from './request-params.js';
import type { ServerContext } from './server-context.js';
import { type BucketUnit, bucketKeyOf, bucketSeries } from './time-buckets.js';
import {
  compileExpression,
  WhereExpressionError,
  type WherePredicate,
  type WhereValue,
} from './where-expression.js';

/** A validated segmentation query. */
export interface SegmentationQuery {
  readonly event: string;
  readonly fromDay: number;
  readonly toDay: number;
  readonly unit: Exclude<BucketUnit, 'week'>;
  readonly type: MeasureType;
  readonly on: ((lookup: (name: string) => WhereValue) => WhereValue) | null;
  readonly where: WherePredicate | null;
  readonly limit: number;
}

/** Segmentation's `data` member: the date series and the values per series key. */
export interface SegmentationData {
  readonly series: string[];
  readonly values: Record<string, Record<string, number>>;
}

/**
 * Counts the deduplicated events of one name per bucket: `general` counts events, `unique` counts
 * distinct non-empty `distinct_id`s, `average` divides the two. Without `on` the single series is
 * keyed by the event name; with `on` by each segment value (events where it is missing or null are
 * left out), keeping the `limit` largest segments. Every bucket of the range is present, 0 included.
 */
export function segmentation(data: FakeDataSet, q: SegmentationQuery, nowMs: number): SegmentationData {
  const series = bucketSeries(q.unit, q.fromDay, q.toDay);
  const counts = new Map<string, Map<string, number>>();
  const users = new Map<string, Map<string, Set<string>>>();
  const needsProperties = q.where !== null || q.on !== null;
  const source = needsProperties
    ? data.winnersInRange(q.fromDay, q.toDay, nowMs)
    : data.winnerHeadsInRange(q.fromDay, q.toDay, nowMs);
  for (const event of source) {
    if (event.event !== q.event) continue;
    const lookup = needsProperties ? eventLookup(event as FakeEvent) : null;
    if (q.where !== null && lookup !== null && !q.where(lookup)) continue;
    const segment = q.on !== null && lookup !== null ? valueText(q.on(lookup)) : q.event;
    if (segment === null) continue;
    const bucket = bucketKeyOf(q.unit, event, q.fromDay);
    const byBucket = getOrInsert(counts, segment, () => new Map());
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + 1);
    const user = userOf(event);
    if (user === null) continue;
    const userBuckets = getOrInsert(users, segment, () => new Map());
    const set = getOrInsert(userBuckets, bucket, () => new Set());
    set.add(user);
  }
  let segments = [...counts.keys()];
  if (q.on === null) segments = [q.event];
  else {
    const total = (s: string) => [...(counts.get(s)?.values() ?? [])].reduce((a, b) => a + b, 0);
    segments = segments
      .map((s) => [s, total(s)] as const)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, q.limit)
      .map(([s]) => s);
  }
  const values: Record<string, Record<string, number>> = {};
  for (const segment of segments) {
    const row: Record<string, number> = {};
    for (const bucket of series) {
      const count = counts.get(segment)?.get(bucket) ?? 0;
      const unique = users.get(segment)?.get(bucket)?.size ?? 0;
      row[bucket] =
        q.type === 'general' ? count : q.type === 'unique' ? unique : unique === 0 ? 0 : count / unique;
    }
    values[segment] = row;
  }
  return { series, values };
}

/** `/segmentation`: `event`, `from_date`, `to_date`, `unit` (hour, day, month), `type`, `on`, `where`, `limit`. */
export async function handleSegmentation(ex: Exchange, ctx: ServerContext): Promise<void> {
  const p = ex.params;
  if (!p.event) throw new BadRequest('Missing required parameter: event');
  const { from, to } = requireDateRange(p.from_date, p.to_date);
  const unit = p.unit ?? 'day';
  if (unit === 'minute') throw new BadRequest('unit=minute is not supported by the fake server');
  if (unit !== 'hour' && unit !== 'day' && unit !== 'month') {
    throw new BadRequest(`unit must be minute, hour, day or month: ${unit}`);
  }
  const type = p.type ?? 'general';
  if (type !== 'general' && type !== 'unique' && type !== 'average') {
    throw new BadRequest(`type must be general, unique or average: ${type}`);
  }
  let on: SegmentationQuery['on'] = null;
  if (p.on !== undefined && p.on.trim() !== '') {
    try {
      on = compileExpression(p.on);
    } catch (error) {
      if (error instanceof WhereExpressionError) throw new BadRequest(`Error in on: ${error.message}`);
      throw error;
    }
  }
  const query: SegmentationQuery = {
    event: p.event,
    fromDay: from,
    toDay: to,
    unit,
    type,
    on,
    where: optionalWhere(p.where),
    limit: optionalInt(p.limit, 'limit', 60, 10_000),
  };
  const data = segmentation(ctx.data, query, ctx.clock.now());
  const body = { data, legend_size: Object.keys(data.values).length };
  await ex.sendJson(200, JSON.stringify(body));
}
