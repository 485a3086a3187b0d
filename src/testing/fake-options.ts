import { InvalidArgumentError } from '../errors.js';
import { hashString, hex, mix32 } from './prng.js';
import { DAY_MS, HOUR_MS, parseDayKey } from './project-calendar.js';
import type { FakeRateLimitQuotas } from './rate-limits.js';

/** One event name and its relative frequency. */
export interface FakeEventNameWeight {
  name: string;
  weight: number;
}

/** Options of {@link startFakeMixpanel}. Every option has a default (section 8.2). */
export interface FakeMixpanelOptions {
  /** Everything derives from it. Default `1`. */
  seed?: number;
  /** The one project the fake serves. Default `'1234567'`. */
  projectId?: string | number;
  /** Service account credentials. Default: derived from the seed. */
  serviceAccount?: { username?: string; secret?: string };
  /** Legacy project secret (Basic user name, empty password). Default: derived from the seed. */
  projectSecret?: string;
  /** First day that holds events. Default `'2024-06-01'`. */
  startDate?: string;
  /** Number of days that hold events. Default `30`. */
  days?: number;
  /** Average raw events per day, varied by weekday. Default `2000`. */
  eventsPerDay?: number;
  /** Number of users. Default `500`. */
  users?: number;
  /** Share of users that have a profile. Default `0.9`. */
  profileShare?: number;
  /** Event names, plain or weighted. Default: a weighted list with spaces and one non-ASCII name. */
  eventNames?: ReadonlyArray<string | FakeEventNameWeight>;
  /** Share of raw lines that repeat an earlier event's dedup key. Default `0.02`. */
  duplicateRate?: number;
  /** Share of events without `$insert_id`. Default `0.005`. */
  missingInsertIdRate?: number;
  /** Share of events with an empty (or absent) `distinct_id`. Default `0.003`. */
  emptyDistinctIdRate?: number;
  /** Share of events processed hours or days after they happened. Default `0.01`. */
  lateRate?: number;
  /** Longest processing delay of a late event, in days. Default `7`. */
  lateMaxDays?: number;
  /** 64-bit `account_id` and group ids, written as bare numbers. Default `true`. */
  bigIntegers?: boolean;
  /** Emoji, raw U+2028/U+2029, case and `$` twins, deep objects, lists, nulls. Default `true`. */
  awkwardText?: boolean;
  /** An IANA zone makes the project behave like a pre-2023 project (7.5). Default `null` (UTC). */
  legacyTimezone?: string | null;
  /** Export line order within a day. Default `'shuffled'`; `'time'` sorts by time. */
  order?: 'shuffled' | 'time';
  /** Initial fake time. Default: the day after the range, 12:00 UTC. */
  now?: number | string | Date;
  /** `'running'` follows real elapsed time; `'frozen'` moves only by setNow/advance. Default `'running'`. */
  clock?: 'running' | 'frozen';
  /** Bytes per written chunk of a streamed body. Default `16384`. */
  chunkBytes?: number;
  /** zlib level for gzip responses. Default `1` (fast: the export is used for benchmarks). */
  gzipLevel?: number;
  /**
   * Serve export responses from compressed days kept in memory instead of generating and gzipping
   * every request, for benchmarks of the client (the fake otherwise spends a CPU core per stream
   * on a machine it shares with the client). `'lazy'` compresses a day on its first request,
   * `'precompute'` compresses every day (seconds, not ms) before the server starts listening.
   * Only requests with default filters (no `event`, `where`, `limit`), gzip accepted and no
   * injected fault are served from it; the decompressed bytes are identical, gzip only flushes
   * per day instead of per `chunkBytes`. A day is regenerated when the fake clock changes which
   * of its events are visible. Memory: about a sixth of the raw export size. Default `'off'`.
   */
  exportCache?: 'off' | 'lazy' | 'precompute';
  /** Engage page size. Default `1000`. */
  engagePageSize?: number;
  /** How long an Engage `session_id` lives, in fake ms. Default `600000`. */
  sessionTtlMs?: number;
  /** Enforce the section 6 limits. Default `'enforce'`. */
  rateLimits?: 'enforce' | 'off';
  /** Overrides of individual quotas, e.g. `{ queryPerHour: 4 }`. */
  quotas?: Partial<FakeRateLimitQuotas>;
  /** Listen address; only loopback makes sense. Default `'127.0.0.1'`. */
  host?: string;
  /** Listen port. Default `0` (any free port). */
  port?: number;
}

/** The options after defaults and validation. */
export interface ResolvedFakeOptions {
  readonly seed: number;
  readonly seedHash: number;
  readonly projectId: string;
  readonly username: string;
  readonly secret: string;
  readonly projectSecret: string;
  readonly startDay: number;
  readonly days: number;
  readonly eventsPerDay: number;
  readonly users: number;
  readonly profileShare: number;
  readonly eventNames: readonly FakeEventNameWeight[];
  readonly duplicateRate: number;
  readonly missingInsertIdRate: number;
  readonly emptyDistinctIdRate: number;
  readonly lateRate: number;
  readonly lateMaxDays: number;
  readonly bigIntegers: boolean;
  readonly awkwardText: boolean;
  readonly legacyTimezone: string | null;
  readonly order: 'shuffled' | 'time';
  readonly nowMs: number;
  readonly clock: 'running' | 'frozen';
  readonly chunkBytes: number;
  readonly gzipLevel: number;
  readonly exportCache: 'off' | 'lazy' | 'precompute';
  readonly engagePageSize: number;
  readonly sessionTtlMs: number;
  readonly rateLimits: 'enforce' | 'off';
  readonly quotas: Partial<FakeRateLimitQuotas>;
  readonly host: string;
  readonly port: number;
}

/** The default weighted event names: spaces, case, and one non-ASCII name. */
export const DEFAULT_EVENT_NAMES: readonly FakeEventNameWeight[] = [
  { name: 'Page View', weight: 40 },
  { name: 'Search', weight: 12 },
  { name: 'Log In', weight: 10 },
  { name: 'Add To Cart', weight: 9 },
  { name: 'Video Played', weight: 8 },
  { name: 'Purchase', weight: 6 },
  { name: 'Sign Up', weight: 5 },
  { name: 'Café Order', weight: 3 },
];

function rate(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!(result >= 0 && result <= 1)) throw new InvalidArgumentError(`Fake option ${name} must be in [0, 1]`);
  return result;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min) {
    throw new InvalidArgumentError(`Fake option ${name} must be an integer >= ${min}`);
  }
  return result;
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  const result = value ?? fallback;
  if (!allowed.includes(result)) {
    throw new InvalidArgumentError(`Fake option ${name} must be one of ${allowed.join(', ')}`);
  }
  return result;
}

/** Parses a fake-clock time given as epoch ms, ISO text or a Date. */
export function parseFakeTime(value: number | string | Date): number {
  const ms =
    typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`Invalid fake time: ${String(value)}`);
  return Math.floor(ms);
}

/** Applies the defaults of section 8.2 and rejects impossible values. */
export function resolveFakeOptions(options: FakeMixpanelOptions = {}): ResolvedFakeOptions {
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError('Fake option seed must be an integer');
  const seedHash = hashString(`mixpanel-data fake seed ${seed}`);
  const startDay = parseDayKey(options.startDate ?? '2024-06-01');
  if (startDay === null) throw new InvalidArgumentError('Fake option startDate must be yyyy-mm-dd');
  const days = count('days', options.days, 30, 1);
  const projectId = String(options.projectId ?? '1234567');
  if (!/^\d+$/.test(projectId)) throw new InvalidArgumentError('Fake option projectId must be an integer');
  const names = (options.eventNames ?? DEFAULT_EVENT_NAMES).map((entry) =>
    typeof entry === 'string' ? { name: entry, weight: 1 } : { name: entry.name, weight: entry.weight },
  );
  if (names.length === 0 || names.some((n) => !(n.weight > 0) || n.name.length === 0)) {
    throw new InvalidArgumentError('Fake option eventNames needs non-empty names with positive weights');
  }
  const legacyTimezone = options.legacyTimezone ?? null;
  if (legacyTimezone !== null) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: legacyTimezone });
    } catch (cause) {
      throw new InvalidArgumentError(`Fake option legacyTimezone is not a known zone: ${legacyTimezone}`, {
        cause,
      });
    }
  }
  const secretHex = (salt: number) =>
    hex(mix32(seedHash ^ salt), 8) + hex(mix32(seedHash + salt), 8) + hex(mix32(salt - seedHash), 8);
  return {
    seed,
    seedHash,
    projectId,
    username: options.serviceAccount?.username ?? `fake-sa-${seed}.mp-service-account`,
    secret: options.serviceAccount?.secret ?? `sa${secretHex(0x5ec7e7)}`,
    projectSecret: options.projectSecret ?? `ps${secretHex(0x9a0c)}`,
    startDay,
    days,
    eventsPerDay: count('eventsPerDay', options.eventsPerDay, 2000, 0),
    users: count('users', options.users, 500, 1),
    profileShare: rate('profileShare', options.profileShare, 0.9),
    eventNames: names,
    duplicateRate: rate('duplicateRate', options.duplicateRate, 0.02),
    missingInsertIdRate: rate('missingInsertIdRate', options.missingInsertIdRate, 0.005),
    emptyDistinctIdRate: rate('emptyDistinctIdRate', options.emptyDistinctIdRate, 0.003),
    lateRate: rate('lateRate', options.lateRate, 0.01),
    lateMaxDays: count('lateMaxDays', options.lateMaxDays, 7, 1),
    bigIntegers: options.bigIntegers ?? true,
    awkwardText: options.awkwardText ?? true,
    legacyTimezone,
    order: options.order ?? 'shuffled',
    nowMs: options.now === undefined ? (startDay + days) * DAY_MS + 12 * HOUR_MS : parseFakeTime(options.now),
    clock: options.clock ?? 'running',
    chunkBytes: count('chunkBytes', options.chunkBytes, 16_384, 1),
    gzipLevel: count('gzipLevel', options.gzipLevel, 1, 0),
    exportCache: oneOf('exportCache', options.exportCache, ['off', 'lazy', 'precompute'] as const, 'off'),
    engagePageSize: count('engagePageSize', options.engagePageSize, 1000, 1),
    sessionTtlMs: count('sessionTtlMs', options.sessionTtlMs, 600_000, 1),
    rateLimits: options.rateLimits ?? 'enforce',
    quotas: { ...options.quotas },
    host: options.host ?? '127.0.0.1',
    port: count('port', options.port, 0, 0),
  };
}
