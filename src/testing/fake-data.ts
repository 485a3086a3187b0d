import type { FakeEvent, FakeEventHead } from './fake-events.js';
import { FakeEventGenerator } from './fake-events.js';
import type { ResolvedFakeOptions } from './fake-options.js';
import { FakePopulation } from './fake-population.js';
import { ProjectCalendar } from './project-calendar.js';
import { type PropertyLookup, WhereDateTime } from './where-expression.js';

/** Deduplicated view of one day as of one fake time. */
interface DayView {
  /** The view is valid for any fake time in [validFrom, validUntil). */
  readonly validFrom: number;
  readonly validUntil: number;
  readonly rawVisible: number;
  /** Slots of the surviving copies, in slot (time) order: 4 bytes per event, events regenerate on demand. */
  readonly winners: Int32Array;
}

// Cached views hold slot numbers only; this bounds them to ~40 MB even for huge data sets.
const CACHE_SLOT_BUDGET = 10_000_000;

/** The dedup key of section 7.1: event name, distinct_id, time and $insert_id. */
export function dedupKey(event: FakeEventHead): string {
  return `${event.event}\u0000${event.distinctId ?? '\u0001'}\u0000${event.timeMs}\u0000${event.insertId}`;
}

/**
 * Reads event properties for where expressions: `properties["time"]` is the exported seconds,
 * `properties["$time"]` a datetime of the same instant.
 */
export function eventLookup(event: FakeEvent): PropertyLookup {
  return (name) => {
    switch (name) {
      case '$time':
        return new WhereDateTime(event.timeMs);
      case 'time':
        return Math.floor(event.timeMs / 1000);
      case 'distinct_id':
        return event.distinctId;
      case '$insert_id':
        return event.insertId;
      case 'mp_processing_time_ms':
        return event.processingTimeMs;
      default:
        return Object.hasOwn(event.rest, name) ? event.rest[name] : undefined;
    }
  };
}

/**
 * The one seeded data set behind every endpoint and behind `fake.expected`: events are generated
 * per day on demand, visibility follows the fake clock (an event exists once its
 * `mp_processing_time_ms <= now`), and reports see the deduplicated winners.
 */
export class FakeDataSet {
  readonly calendar: ProjectCalendar;
  readonly population: FakePopulation;
  readonly events: FakeEventGenerator;
  private readonly views = new Map<number, DayView>();
  private cachedSlots = 0;

  constructor(readonly options: ResolvedFakeOptions) {
    this.calendar = new ProjectCalendar(options.legacyTimezone);
    this.population = new FakePopulation(options);
    this.events = new FakeEventGenerator(options, this.population, this.calendar);
  }

  /** The days of [fromDay, toDay] that hold events. */
  daysWithEvents(fromDay: number, toDay: number): number[] {
    const days: number[] = [];
    const first = Math.max(fromDay, this.events.firstDay);
    const last = Math.min(toDay, this.events.lastDay);
    for (let day = first; day <= last; day++) days.push(day);
    return days;
  }

  /** Visible raw lines of one day, in export order. */
  *rawEvents(day: number, nowMs: number): Generator<FakeEvent> {
    const count = this.events.dayCount(day);
    for (let position = 0; position < count; position++) {
      const event = this.events.at(day, this.events.slotAt(day, position));
      if (event.processingTimeMs <= nowMs) yield event;
    }
  }

  /** Visible raw line count of one day. */
  rawCount(day: number, nowMs: number): number {
    return this.view(day, nowMs).rawVisible;
  }

  /** The deduplicated visible events of one day (the copy with the largest processing time wins). */
  winners(day: number, nowMs: number): FakeEvent[] {
    const events = this.events;
    return Array.from(this.view(day, nowMs).winners, (slot) => events.at(day, slot));
  }

  /** Heads of the deduplicated visible events of one day: cheaper when properties are not needed. */
  winnerHeads(day: number, nowMs: number): FakeEventHead[] {
    const events = this.events;
    return Array.from(this.view(day, nowMs).winners, (slot) => events.head(day, slot));
  }

  /** Number of deduplicated visible events of one day. */
  winnerCount(day: number, nowMs: number): number {
    return this.view(day, nowMs).winners.length;
  }

  /** Winners of every day in [fromDay, toDay]. */
  *winnersInRange(fromDay: number, toDay: number, nowMs: number): Generator<FakeEvent> {
    for (const day of this.daysWithEvents(fromDay, toDay)) yield* this.winners(day, nowMs);
  }

  /** Winner heads of every day in [fromDay, toDay]. */
  *winnerHeadsInRange(fromDay: number, toDay: number, nowMs: number): Generator<FakeEventHead> {
    for (const day of this.daysWithEvents(fromDay, toDay)) yield* this.winnerHeads(day, nowMs);
  }

  /** The earliest processing time after `nowMs` among events of [fromDay, toDay], or `null`. */
  nextVisibilityChange(fromDay: number, toDay: number, nowMs: number): number | null {
    let next = Number.POSITIVE_INFINITY;
    for (const day of this.daysWithEvents(fromDay, toDay))
      next = Math.min(next, this.view(day, nowMs).validUntil);
    return Number.isFinite(next) ? next : null;
  }

  private view(day: number, nowMs: number): DayView {
    const cached = this.views.get(day);
    if (cached && cached.validFrom <= nowMs && nowMs < cached.validUntil) return cached;
    const view = this.buildView(day, nowMs);
    if (cached) {
      this.views.delete(day);
      this.cachedSlots -= cached.winners.length;
    }
    for (const [oldDay, old] of this.views) {
      if (this.cachedSlots + view.winners.length <= CACHE_SLOT_BUDGET) break;
      this.views.delete(oldDay);
      this.cachedSlots -= old.winners.length;
    }
    this.views.set(day, view);
    this.cachedSlots += view.winners.length;
    return view;
  }

  private buildView(day: number, nowMs: number): DayView {
    const winners: number[] = [];
    const processing: number[] = [];
    const positions = new Map<string, number>();
    let validFrom = Number.NEGATIVE_INFINITY;
    let validUntil = Number.POSITIVE_INFINITY;
    let rawVisible = 0;
    const count = this.events.dayCount(day);
    for (let slot = 0; slot < count; slot++) {
      const head = this.events.head(day, slot);
      if (head.processingTimeMs > nowMs) {
        validUntil = Math.min(validUntil, head.processingTimeMs);
        continue;
      }
      validFrom = Math.max(validFrom, head.processingTimeMs);
      rawVisible++;
      // Events without $insert_id are never deduplicated (section 7.2).
      if (head.insertId === undefined) {
        winners.push(slot);
        processing.push(head.processingTimeMs);
        continue;
      }
      const key = dedupKey(head);
      const at = positions.get(key);
      if (at === undefined) {
        positions.set(key, winners.length);
        winners.push(slot);
        processing.push(head.processingTimeMs);
      } else if (head.processingTimeMs >= (processing[at] as number)) {
        winners[at] = slot;
        processing[at] = head.processingTimeMs;
      }
    }
    return { validFrom, validUntil, rawVisible, winners: Int32Array.from(winners) };
  }
}
