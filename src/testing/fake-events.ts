import { EventTemplates, K } from './event-templates.js';
import type { ResolvedFakeOptions } from './fake-options.js';
import type { FakePopulation, FakeUser } from './fake-population.js';
import { PLACES } from './fake-vocabulary.js';
import { IndexPermutation } from './index-permutation.js';
import type { FakeJsonValue } from './json-text.js';
import { hash2, hash3, hex, pickWeighted, SeededRandom } from './prng.js';
import { DAY_MS, HOUR_MS, type ProjectCalendar } from './project-calendar.js';
import {
  type FakeEventHead,
  LineSink,
  ObjectSink,
  OverrideSink,
  type PropertySink,
} from './property-sink.js';

export type { FakeEventHead } from './property-sink.js';

/** One raw export line of the fake data set, before serialisation. */
export interface FakeEvent extends FakeEventHead {
  /** Every property after `mp_processing_time_ms`, in output order. */
  readonly rest: { readonly [key: string]: FakeJsonValue };
}

interface GeneratedHead extends FakeEventHead {
  readonly place: number;
}

// Relative volume by weekday, Sunday first: weekends are quieter.
const WEEKDAY_FACTOR = [0.8, 1.05, 1.1, 1.1, 1.05, 1.0, 0.85];
const SALT_DAY = 0x0da7;
const SALT_DUP = 0xd0b1e;
const SALT_ORDER = 0x0bde;

/**
 * Generates the events of any day on demand from (seed, day, slot), so a multi-million-event data
 * set streams in constant memory. Slots are stratified over the day, which keeps slot order equal
 * to time order; the export shuffles with an {@link IndexPermutation}. A duplicate occupies the slot
 * after its original and copies its dedup key (name, distinct_id, time, $insert_id), with a later
 * `mp_processing_time_ms` (the k-th copy lands in the k-th hour after the original, so later copies
 * always win) and a different `$city`.
 */
export class FakeEventGenerator {
  readonly firstDay: number;
  readonly lastDay: number;
  private readonly cumulativeWeights: number[];
  private readonly rng = new SeededRandom(0);
  private readonly counts = new Map<number, number>();
  private readonly permutations = new Map<number, IndexPermutation>();
  private readonly dupThreshold: number;
  private readonly templates: EventTemplates;
  private readonly objectSink = new ObjectSink();
  private readonly lineSink = new LineSink();
  private readonly overrideSink = new OverrideSink();
  private dayCacheKey = Number.NaN;
  private dayCacheStart = 0;
  private dayCacheLength = 0;
  private dayCacheCount = 0;

  constructor(
    private readonly options: ResolvedFakeOptions,
    private readonly population: FakePopulation,
    private readonly calendar: ProjectCalendar,
  ) {
    this.firstDay = options.startDay;
    this.lastDay = options.startDay + options.days - 1;
    let total = 0;
    this.cumulativeWeights = options.eventNames.map((n) => {
      total += n.weight;
      return total;
    });
    this.dupThreshold = options.duplicateRate * 4294967296;
    this.templates = new EventTemplates(options, population, this.rng);
  }

  /** Number of raw lines generated for project day `day` (0 outside the range). */
  dayCount(day: number): number {
    if (day < this.firstDay || day > this.lastDay) return 0;
    let count = this.counts.get(day);
    if (count === undefined) {
      const weekday = (((day + 4) % 7) + 7) % 7;
      const noise = 0.95 + 0.1 * (hash2(this.options.seedHash ^ SALT_DAY, day) / 4294967296);
      count = Math.round(this.options.eventsPerDay * (WEEKDAY_FACTOR[weekday] ?? 1) * noise);
      this.counts.set(day, count);
    }
    return count;
  }

  /** The slot emitted at `position` of day `day` in export order. */
  slotAt(day: number, position: number): number {
    if (this.options.order === 'time') return position;
    let permutation = this.permutations.get(day);
    if (permutation === undefined) {
      permutation = new IndexPermutation(this.dayCount(day), hash2(this.options.seedHash ^ SALT_ORDER, day));
      if (this.permutations.size > 512) this.permutations.clear();
      this.permutations.set(day, permutation);
    }
    return permutation.at(position);
  }

  /** Whether slot `slot` of day `day` is a copy of the slot before it. */
  isDuplicate(day: number, slot: number): boolean {
    return slot > 0 && hash3(this.options.seedHash ^ SALT_DUP, day, slot) < this.dupThreshold;
  }

  /** The slot of the original that a duplicate copies (the slot itself for an original). */
  originalSlot(day: number, slot: number): number {
    let root = slot;
    while (this.isDuplicate(day, root)) root--;
    return root;
  }

  /** The head (name, time, ids, processing time) of one event, without its properties. */
  head(day: number, slot: number): FakeEventHead {
    return this.produce(day, slot, null, null) as FakeEventHead;
  }

  /** The event in slot `slot` of day `day`, as an object. */
  at(day: number, slot: number): FakeEvent {
    const sink = this.objectSink;
    const head = this.produce(day, slot, sink, null) as FakeEventHead;
    return {
      event: head.event,
      day: head.day,
      slot: head.slot,
      trueTimeMs: head.trueTimeMs,
      timeMs: head.timeMs,
      distinctId: head.distinctId,
      insertId: head.insertId,
      processingTimeMs: head.processingTimeMs,
      rest: sink.rest,
    };
  }

  /**
   * The export line of one event, or `null` when `accept` rejects its head (then no properties
   * are generated at all, which keeps filtered and not-yet-visible events cheap).
   */
  line(
    day: number,
    slot: number,
    timeInMs: boolean,
    accept: ((head: FakeEventHead) => boolean) | null,
  ): string | null {
    const sink = this.lineSink;
    sink.timeInMs = timeInMs;
    return this.produce(day, slot, sink, accept) === null ? null : sink.line();
  }

  /** Finds the day and slot an `$insert_id` was generated for, or `null` if it is not one of ours. */
  locateInsertId(insertId: string): { day: number; slot: number } | null {
    const parts = insertId.split('-');
    if (parts.length !== 4 || parts[2]?.length !== 4 || parts[3]?.length !== 8) return null;
    const day = this.firstDay + Number.parseInt(parts[2], 16);
    const slot = Number.parseInt(parts[3], 16);
    if (!(slot >= 0 && slot < this.dayCount(day))) return null;
    return this.head(day, slot).insertId === insertId ? { day, slot } : null;
  }

  private produce(
    day: number,
    slot: number,
    sink: PropertySink | null,
    accept: ((head: FakeEventHead) => boolean) | null,
  ): FakeEventHead | null {
    if (!this.isDuplicate(day, slot)) return this.original(day, slot, sink, accept);
    const root = this.originalSlot(day, slot);
    const original = this.original(day, root, null, null) as GeneratedHead;
    const rng = this.rng;
    rng.reseed(hash3(this.options.seedHash ^ SALT_DUP, day, slot));
    const processingTimeMs = original.processingTimeMs + (slot - root) * HOUR_MS + rng.range(1, HOUR_MS - 1);
    const apiTimestamp = processingTimeMs - rng.int(1500);
    // A non-key property differs, as after a geo-IP refresh: dedup must ignore it.
    const place = (original.place + 1 + rng.int(PLACES.length - 1)) % PLACES.length;
    const head: GeneratedHead = { ...original, slot, processingTimeMs };
    if (accept !== null && !accept(head)) return null;
    if (sink === null) return head;
    const override = this.overrideSink;
    override.inner = sink;
    override.head = head;
    override.strings.set(K.city, (PLACES[place] as (typeof PLACES)[number]).city);
    override.numbers.set(K.apiTimestamp, apiTimestamp);
    this.original(day, root, override, null);
    override.inner = null;
    override.head = null;
    return head;
  }

  private dayBounds(day: number): void {
    if (this.dayCacheKey === day) return;
    this.dayCacheKey = day;
    this.dayCacheStart = this.calendar.dayStartMs(day);
    this.dayCacheLength = this.calendar.dayStartMs(day + 1) - this.dayCacheStart;
    this.dayCacheCount = this.dayCount(day);
  }

  private original(
    day: number,
    slot: number,
    sink: PropertySink | null,
    accept: ((head: FakeEventHead) => boolean) | null,
  ): GeneratedHead | null {
    const { options, population, rng } = this;
    this.dayBounds(day);
    rng.reseed(hash3(options.seedHash, day, slot));
    const nameIndex = pickWeighted(this.cumulativeWeights, rng.float());
    const event = (options.eventNames[nameIndex] as (typeof options.eventNames)[number]).name;
    // Stratified times: slot i falls in the i-th 1/count of the day, so slots are in time order.
    const trueTimeMs =
      this.dayCacheStart + Math.floor(((slot + rng.float()) * this.dayCacheLength) / this.dayCacheCount);
    const activity = rng.float();
    const rank = Math.floor(population.users.length * activity * activity);
    const user = population.users[population.usersByActivity[rank] as number] as FakeUser;
    let distinctId: string | undefined = user.distinctId;
    if (rng.chance(options.emptyDistinctIdRate)) distinctId = rng.chance(0.3) ? undefined : '';
    const missingInsertId = rng.chance(options.missingInsertIdRate);
    const late = rng.chance(options.lateRate);
    const delay = late ? rng.range(HOUR_MS, options.lateMaxDays * DAY_MS) : rng.range(300, 90_000);
    const processingTimeMs = trueTimeMs + delay;
    const idA = rng.uint32();
    const idB = rng.uint32();
    const head: GeneratedHead = {
      event,
      day,
      slot,
      trueTimeMs,
      timeMs: this.calendar.toLocalMs(trueTimeMs),
      distinctId,
      insertId: missingInsertId
        ? undefined
        : `${hex(idA, 8)}-${hex(idB, 4)}-${hex(day - this.firstDay, 4)}-${hex(slot, 8)}`,
      processingTimeMs,
      place: user.place,
    };
    if (accept !== null && !accept(head)) return null;
    if (sink === null) return head;
    sink.begin(head);
    if (rng.chance(0.95)) sink.num(K.apiTimestamp, processingTimeMs - rng.int(1500));
    sink.plain(K.apiEndpoint, 'api.mixpanel.com');
    if (late) sink.bool(K.imported, true);
    const templates = this.templates;
    const blocks = templates.userBlocks(user);
    if (distinctId) sink.block(blocks.identity);
    else sink.plain(K.deviceId, `${hex(rng.uint32(), 8)}-${hex(rng.uint32(), 4)}`);
    sink.block(blocks.device);
    templates.sdkProperties(sink, user);
    templates.eventProperties(sink, event, user);
    if (options.awkwardText && rng.chance(0.005)) {
      sink.str(templates.awkwardKey(), templates.awkwardText());
    }
    return head;
  }
}
