import type { FakeDataSet } from './fake-data.js';
import { eventLookup } from './fake-data.js';
import type { FakeEventHead } from './fake-events.js';
import { getOrInsert } from './get-or-insert.js';
import { type FakeJsonValue, toJsonText } from './json-text.js';
import { DAY_MS } from './project-calendar.js';

/**
 * Aggregates over the deduplicated events. The Query API endpoints and `fake.expected` both call
 * these, so the fake's reports and its ground truth come from one definition.
 */

/** How discovery endpoints measure volume. */
export type MeasureType = 'general' | 'unique' | 'average';

/** Properties left out of `/events/properties/top`: the dedup key and processing time. */
export const KEY_PROPERTIES: ReadonlySet<string> = new Set([
  'time',
  'distinct_id',
  '$insert_id',
  'mp_processing_time_ms',
]);

/** Whether an event counts towards user-based measures (non-empty `distinct_id`). */
export function userOf(event: FakeEventHead): string | null {
  return event.distinctId === undefined || event.distinctId === '' ? null : event.distinctId;
}

/** Deduplicated count per day and event name, as of `nowMs`. */
export function countsByEventAndDay(
  data: FakeDataSet,
  fromDay: number,
  toDay: number,
  nowMs: number,
): Map<number, Map<string, number>> {
  const result = new Map<number, Map<string, number>>();
  for (const day of data.daysWithEvents(fromDay, toDay)) {
    const counts = new Map<string, number>();
    for (const event of data.winnerHeads(day, nowMs))
      counts.set(event.event, (counts.get(event.event) ?? 0) + 1);
    result.set(day, counts);
  }
  return result;
}

/** Distinct non-empty `distinct_id`s per day and event name, as of `nowMs`. */
export function uniquesByEventAndDay(
  data: FakeDataSet,
  fromDay: number,
  toDay: number,
  nowMs: number,
): Map<number, Map<string, number>> {
  const result = new Map<number, Map<string, number>>();
  for (const day of data.daysWithEvents(fromDay, toDay)) {
    const users = new Map<string, Set<string>>();
    for (const event of data.winnerHeads(day, nowMs)) {
      const user = userOf(event);
      if (user === null) continue;
      const set = getOrInsert(users, event.event, () => new Set());
      set.add(user);
    }
    result.set(day, new Map([...users].map(([name, set]) => [name, set.size])));
  }
  return result;
}

function measure(events: Iterable<FakeEventHead>, type: MeasureType): Map<string, number> {
  const counts = new Map<string, number>();
  const users = new Map<string, Set<string>>();
  for (const event of events) {
    counts.set(event.event, (counts.get(event.event) ?? 0) + 1);
    const user = userOf(event);
    if (user === null) continue;
    const set = getOrInsert(users, event.event, () => new Set());
    set.add(user);
  }
  if (type === 'general') return counts;
  const result = new Map<string, number>();
  for (const [name, count] of counts) {
    const unique = users.get(name)?.size ?? 0;
    result.set(name, type === 'unique' ? unique : unique === 0 ? 0 : count / unique);
  }
  return result;
}

/** Volume per event name over whole project days [fromDay, toDay]. */
export function eventVolumes(
  data: FakeDataSet,
  fromDay: number,
  toDay: number,
  nowMs: number,
  type: MeasureType,
): Map<string, number> {
  return measure(data.winnerHeadsInRange(fromDay, toDay, nowMs), type);
}

/** Names sorted by descending volume, then by name. Only names with volume above 0. */
export function rankByVolume(volumes: Map<string, number>): [string, number][] {
  return [...volumes]
    .filter(([, volume]) => volume > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The discovery window: the last 31 project days up to and including today. */
export function recentDays(data: FakeDataSet, nowMs: number): { fromDay: number; toDay: number } {
  const today = data.calendar.today(nowMs);
  return { fromDay: today - 30, toDay: today };
}

function eventsBetween(data: FakeDataSet, startMs: number, endMs: number, nowMs: number): FakeEventHead[] {
  const events: FakeEventHead[] = [];
  const fromDay = data.calendar.dayOf(startMs) - 1;
  const toDay = data.calendar.dayOf(endMs) + 1;
  for (const event of data.winnerHeadsInRange(fromDay, toDay, nowMs)) {
    if (event.trueTimeMs > startMs && event.trueTimeMs <= endMs) events.push(event);
  }
  return events;
}

/** One `/events/top` entry. */
export interface TopEvent {
  readonly amount: number;
  readonly event: string;
  readonly percent_change: number;
}

/**
 * `/events/top`: "today" is the 24 hours up to the fake `now`, "yesterday" the 24 hours before;
 * `percent_change` is (today - yesterday) / yesterday, or 0 when yesterday had none.
 */
export function topEvents(data: FakeDataSet, nowMs: number, type: MeasureType, limit: number): TopEvent[] {
  const today = measure(eventsBetween(data, nowMs - DAY_MS, nowMs, nowMs), type);
  const yesterday = measure(eventsBetween(data, nowMs - 2 * DAY_MS, nowMs - DAY_MS, nowMs), type);
  return rankByVolume(today)
    .slice(0, limit)
    .map(([event, amount]) => {
      const before = yesterday.get(event) ?? 0;
      return { amount, event, percent_change: before === 0 ? 0 : (amount - before) / before };
    });
}

/** `/events/properties/top`: how many events of `event` carry each property (key properties left out). */
export function topProperties(
  data: FakeDataSet,
  event: string,
  fromDay: number,
  toDay: number,
  nowMs: number,
  limit: number,
): [string, number][] {
  const counts = new Map<string, number>();
  for (const e of data.winnersInRange(fromDay, toDay, nowMs)) {
    if (e.event !== event) continue;
    for (const name in e.rest) if (!KEY_PROPERTIES.has(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return rankByVolume(counts).slice(0, limit);
}

/** The text form of a property value, as values and segments report it; `null` for missing or null. */
export function valueText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (typeof value === 'object' && 'ms' in value) return new Date((value as { ms: number }).ms).toISOString();
  return toJsonText(value as FakeJsonValue);
}

/** `/events/properties/values`: the most frequent values of one property, as strings. */
export function topValues(
  data: FakeDataSet,
  event: string,
  name: string,
  fromDay: number,
  toDay: number,
  nowMs: number,
  limit: number,
): string[] {
  const counts = new Map<string, number>();
  for (const e of data.winnersInRange(fromDay, toDay, nowMs)) {
    if (e.event !== event) continue;
    const text = valueText(eventLookup(e)(name));
    if (text !== null) counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return rankByVolume(counts)
    .slice(0, limit)
    .map(([value]) => value);
}
