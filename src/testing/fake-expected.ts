import { InvalidArgumentError } from '../errors.js';
import { countsByEventAndDay, uniquesByEventAndDay } from './event-aggregates.js';
import { exportedEvent, type FakeExportedEvent } from './event-line.js';
import type { FakeClock } from './fake-clock.js';
import type { FakeDataSet } from './fake-data.js';
import { eventLookup } from './fake-data.js';
import type { FakeEvent } from './fake-events.js';
import type { FakeCohort, FakeFunnel, FakeProfile } from './fake-population.js';
import { type FakeProfileFilter, matchProfiles } from './profile-query.js';
import { formatDayKey, parseDayKey } from './project-calendar.js';
import { compileWhere } from './where-expression.js';

/** Filters for the event methods of {@link FakeExpected}. */
export interface FakeEventFilter {
  /** Only these event names (exact, case-sensitive). */
  events?: readonly string[];
  /** A where expression in the supported subset. */
  where?: string;
}

function day(text: string, name: string): number {
  const parsed = parseDayKey(text);
  if (parsed === null) throw new InvalidArgumentError(`${name} must be yyyy-mm-dd: ${text}`);
  return parsed;
}

function toRecord(map: Map<number, Map<string, number>>): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  for (const [d, counts] of map) result[formatDayKey(d)] = Object.fromEntries(counts);
  return result;
}

/**
 * Ground truth about the seeded data as of the fake clock, computed from the same model the
 * endpoints serve. Dates are inclusive `yyyy-mm-dd` project days; "visible" means
 * `mp_processing_time_ms <= now`; "deduplicated" applies section 7.1 (name, distinct_id, time,
 * $insert_id; the largest processing time wins; events without $insert_id are all kept).
 */
export class FakeExpected {
  constructor(
    private readonly data: FakeDataSet,
    private readonly clock: FakeClock,
  ) {}

  /** The group key served by Engage `data_group_id`. */
  get dataGroupId(): string {
    return this.data.population.dataGroupId;
  }

  /** Today's project day by the fake clock. */
  today(): string {
    return formatDayKey(this.data.calendar.today(this.clock.now()));
  }

  /** Every day of the seeded range. */
  days(): string[] {
    return this.data
      .daysWithEvents(this.data.events.firstDay, this.data.events.lastDay)
      .map((d) => formatDayKey(d));
  }

  /** The configured event names, in weight order. */
  eventNames(): string[] {
    return this.data.options.eventNames.map((n) => n.name);
  }

  /** Number of lines the export returns for the range (duplicates included), with optional filters. */
  rawEventCount(from: string, to: string, filter: FakeEventFilter = {}): number {
    if (filter.events === undefined && filter.where === undefined) {
      const now = this.clock.now();
      return this.dayRange(from, to).reduce((sum, d) => sum + this.data.rawCount(d, now), 0);
    }
    let n = 0;
    for (const _ of this.rawEvents(from, to, filter)) n++;
    return n;
  }

  /** Number of distinct events after deduplication. */
  dedupedEventCount(from: string, to: string, filter: { events?: readonly string[] } = {}): number {
    const names = filter.events ? new Set(filter.events) : null;
    const now = this.clock.now();
    let n = 0;
    for (const d of this.dayRange(from, to)) {
      if (names === null) n += this.data.winnerCount(d, now);
      else for (const e of this.data.winnerHeads(d, now)) if (names.has(e.event)) n++;
    }
    return n;
  }

  /** Deduplicated counts: `{ 'yyyy-mm-dd': { 'Event Name': n } }`, days with events only. */
  countsByEventAndDay(from: string, to: string): Record<string, Record<string, number>> {
    return toRecord(countsByEventAndDay(this.data, day(from, 'from'), day(to, 'to'), this.clock.now()));
  }

  /** Distinct non-empty distinct_ids among deduplicated events, per day and event. */
  uniqueUsersByEventAndDay(from: string, to: string): Record<string, Record<string, number>> {
    return toRecord(uniquesByEventAndDay(this.data, day(from, 'from'), day(to, 'to'), this.clock.now()));
  }

  /** The visible raw lines in export order, as objects (`time` in seconds unless `timeInMs`). */
  *rawEvents(
    from: string,
    to: string,
    filter: FakeEventFilter & { timeInMs?: boolean } = {},
  ): Generator<FakeExportedEvent> {
    for (const e of this.filtered(from, to, filter)) yield exportedEvent(e, filter.timeInMs ?? false);
  }

  /** The deduplicated events of the range, day by day, as objects. */
  *dedupedEvents(from: string, to: string): Generator<FakeExportedEvent> {
    const now = this.clock.now();
    for (const d of this.dayRange(from, to))
      for (const e of this.data.winners(d, now)) yield exportedEvent(e);
  }

  /** The surviving (deduplicated, visible) copy of the event with this `$insert_id`. */
  event(insertId: string, options: { timeInMs?: boolean } = {}): FakeExportedEvent | undefined {
    const copies = this.copies(insertId);
    let winner: FakeEvent | undefined;
    for (const copy of copies) if (!winner || copy.processingTimeMs >= winner.processingTimeMs) winner = copy;
    return winner && exportedEvent(winner, options.timeInMs ?? false);
  }

  /** Every visible raw copy of the event with this `$insert_id`. */
  eventCopies(insertId: string): FakeExportedEvent[] {
    return this.copies(insertId).map((e) => exportedEvent(e));
  }

  /** Raw events of the range not yet visible (processed after the fake `now`). */
  pendingEventCount(from: string, to: string): number {
    const now = this.clock.now();
    let n = 0;
    for (const d of this.dayRange(from, to)) n += this.data.events.dayCount(d) - this.data.rawCount(d, now);
    return n;
  }

  /** The next fake time at which an event of the range becomes visible, or `null`. */
  nextVisibleAt(from: string, to: string): number | null {
    return this.data.nextVisibilityChange(day(from, 'from'), day(to, 'to'), this.clock.now());
  }

  /** Number of profiles an Engage query with these filters returns (its `total`). */
  profileCount(filter: FakeProfileFilter = {}): number {
    return matchProfiles(this.data.population, filter).length;
  }

  /** The profiles an Engage query with these filters returns, in page order. */
  profiles(filter: FakeProfileFilter = {}): FakeProfile[] {
    return matchProfiles(this.data.population, filter);
  }

  /** One user profile, or `undefined` for users without one. */
  profile(distinctId: string): FakeProfile | undefined {
    return this.data.population.profileOf(distinctId);
  }

  /** Every user's distinct_id, with or without a profile. */
  users(): string[] {
    return this.data.population.users.map((u) => u.distinctId);
  }

  /** The seeded cohorts with their member lists. */
  cohorts(): readonly FakeCohort[] {
    return this.data.population.cohorts;
  }

  /** The seeded funnels. */
  funnels(): readonly FakeFunnel[] {
    return this.data.population.funnels;
  }

  private dayRange(from: string, to: string): number[] {
    return this.data.daysWithEvents(day(from, 'from'), day(to, 'to'));
  }

  private *filtered(from: string, to: string, filter: FakeEventFilter): Generator<FakeEvent> {
    const names = filter.events ? new Set(filter.events) : null;
    const where = filter.where === undefined ? null : compileWhere(filter.where);
    const now = this.clock.now();
    for (const d of this.dayRange(from, to)) {
      for (const e of this.data.rawEvents(d, now)) {
        if (names !== null && !names.has(e.event)) continue;
        if (where !== null && !where(eventLookup(e))) continue;
        yield e;
      }
    }
  }

  private copies(insertId: string): FakeEvent[] {
    const located = this.data.events.locateInsertId(insertId);
    if (located === null) return [];
    const now = this.clock.now();
    const generator = this.data.events;
    const copies: FakeEvent[] = [];
    const root = generator.originalSlot(located.day, located.slot);
    const count = generator.dayCount(located.day);
    for (
      let slot = root;
      slot < count && (slot === root || generator.isDuplicate(located.day, slot));
      slot++
    ) {
      const e = generator.at(located.day, slot);
      if (e.processingTimeMs <= now) copies.push(e);
    }
    return copies;
  }
}
