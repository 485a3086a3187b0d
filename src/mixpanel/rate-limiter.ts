import { AbortedError, InvalidArgumentError, RateLimitError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';
import type { Clock } from './clock.js';
import type { RateLimitInfo } from './rate-limit-headers.js';

/** The Mixpanel budgets a request can draw on. Engage pages that carry a session id are free. */
export type RateLimitBucket = 'export' | 'query';

/** Limits of one bucket, per project. */
export interface BucketLimits {
  /** Requests per rolling window. */
  perHour: number;
  /** Length of the rolling window in ms (3 600 000). */
  windowMs: number;
  /** Requests per rolling second, if limited. */
  perSecond?: number;
  /** Requests in flight at once (a request counts until its body has been read). */
  concurrency: number;
}

/** Documented limits: export 60/h, 3/s, 100 at once; query 60/h, 5 at once. */
export const DEFAULT_BUCKET_LIMITS: Readonly<Record<RateLimitBucket, Readonly<BucketLimits>>> = Object.freeze(
  {
    export: Object.freeze({ perHour: 60, windowMs: 3_600_000, perSecond: 3, concurrency: 100 }),
    query: Object.freeze({ perHour: 60, windowMs: 3_600_000, concurrency: 5 }),
  },
);

/** A granted slot. Call `release()` once the response body has been read or dropped (idempotent). */
export interface RatePermit {
  release(): void;
}

/** Options for {@link RateLimiter.acquire}. */
export interface AcquireOptions {
  signal?: AbortSignal | undefined;
  /** Longest time-based wait to accept; a longer one throws `RateLimitError` at once. Default: no cap. */
  maxWaitMs?: number | undefined;
}

/** A point-in-time view of a limiter, for diagnostics and planning. */
export interface RateLimiterSnapshot {
  bucket: RateLimitBucket;
  limits: BucketLimits;
  inFlight: number;
  /** Requests started within the current rolling window. */
  startedInWindow: number;
  /** Epoch ms until which the server told us to hold off, or 0. */
  blockedUntil: number;
}

/**
 * Client-side limiter for one (base URL, project, bucket): a rolling hourly window, an optional
 * per-second window, a concurrency cap, and a "blocked until" time learned from 429 responses.
 * All waiting goes through the injected {@link Clock}.
 */
export class RateLimiter {
  readonly bucket: RateLimitBucket;
  readonly #clock: Clock;
  #limits: BucketLimits;
  /** Start times of requests, ascending, pruned to the rolling window. */
  #starts: number[] = [];
  #inFlight = 0;
  #blockedUntil = 0;
  #blockKind = 'local';
  #releaseWaiters = new Set<() => void>();

  constructor(bucket: RateLimitBucket, limits: BucketLimits, clock: Clock) {
    checkLimits(limits);
    this.bucket = bucket;
    this.#limits = { ...limits };
    this.#clock = clock;
  }

  /** Current limits. */
  get limits(): Readonly<BucketLimits> {
    return { ...this.#limits };
  }

  /** Changes some limits (e.g. a project with a higher hourly quota). */
  configure(limits: Partial<BucketLimits>): void {
    const next = { ...this.#limits, ...definedOnly(limits) };
    checkLimits(next);
    this.#limits = next;
    this.#wakeAll();
  }

  /** Learns quotas from `RateLimit-Policy` headers (the server wins). */
  learn(info: RateLimitInfo): void {
    const update: Partial<BucketLimits> = {};
    if (info.quota !== undefined) update.perHour = info.quota;
    if (info.windowMs !== undefined) update.windowMs = info.windowMs;
    if (info.concurrency !== undefined) update.concurrency = info.concurrency;
    if (Object.keys(update).length > 0) this.configure(update);
  }

  /** Holds every new request of this bucket until `atMs` (from a 429's `Retry-After` or `RateLimit`). */
  blockUntil(atMs: number, kind: string): void {
    if (atMs > this.#blockedUntil) {
      this.#blockedUntil = atMs;
      this.#blockKind = kind;
    }
  }

  /** A view of the current state. */
  snapshot(): RateLimiterSnapshot {
    const now = this.#clock.now();
    this.#prune(now);
    return {
      bucket: this.bucket,
      limits: { ...this.#limits },
      inFlight: this.#inFlight,
      startedInWindow: this.#starts.length,
      blockedUntil: this.#blockedUntil > now ? this.#blockedUntil : 0,
    };
  }

  /**
   * Waits until a request may start, records it and returns its permit. Throws `RateLimitError`
   * (kind `local`, or the kind of a learned server block) when the time-based wait would exceed
   * `maxWaitMs`, and `AbortedError` when `signal` fires. Waiting for a free concurrency slot has no cap.
   */
  async acquire(options: AcquireOptions = {}): Promise<RatePermit> {
    const { signal } = options;
    const maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    for (;;) {
      throwIfAborted(signal, `Waiting for the Mixpanel ${this.bucket} rate limit`);
      const now = this.#clock.now();
      const startAt = this.#earliestStart(now);
      if (startAt > now) {
        const wait = startAt - now;
        if (wait > maxWaitMs) {
          const kind = startAt === this.#blockedUntil ? this.#blockKind : 'local';
          throw new RateLimitError(
            `Mixpanel ${this.bucket} rate limit: the next request may start at ${new Date(startAt).toISOString()} ` +
              `(in ${Math.ceil(wait / 1000)} s), longer than the allowed wait of ${Math.round(maxWaitMs / 1000)} s. ` +
              'Retry later or raise maxRateLimitWaitMs.',
            new Date(startAt),
            this.bucket,
            kind,
            { details: { waitMs: wait, limits: { ...this.#limits } } },
          );
        }
        await this.#clock.sleep(wait, signal);
        continue;
      }
      if (this.#inFlight >= this.#limits.concurrency) {
        await this.#waitForRelease(signal);
        continue;
      }
      this.#starts.push(now);
      this.#inFlight++;
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          this.#inFlight--;
          this.#wakeAll();
        },
      };
    }
  }

  /**
   * The earliest start times of `count` more requests if they were sent back to back from now,
   * honouring the hourly and per-second windows and any server block (not concurrency).
   */
  planStarts(count: number): number[] {
    const now = this.#clock.now();
    this.#prune(now);
    const starts = [...this.#starts];
    const planned: number[] = [];
    let t = now;
    for (let i = 0; i < count; i++) {
      t = Math.max(t, earliestStart(starts, this.#limits, this.#blockedUntil, t));
      starts.push(t);
      planned.push(t);
    }
    return planned;
  }

  #earliestStart(now: number): number {
    this.#prune(now);
    return earliestStart(this.#starts, this.#limits, this.#blockedUntil, now);
  }

  #prune(now: number): void {
    const cutoff = now - this.#limits.windowMs;
    let drop = 0;
    while (drop < this.#starts.length && this.#starts[drop]! <= cutoff) drop++;
    if (drop > 0) this.#starts.splice(0, drop);
  }

  #waitForRelease(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#releaseWaiters.delete(wake);
        reject(
          new AbortedError(`Waiting for the Mixpanel ${this.bucket} rate limit`, { cause: signal?.reason }),
        );
      };
      this.#releaseWaiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #wakeAll(): void {
    const waiters = [...this.#releaseWaiters];
    this.#releaseWaiters.clear();
    for (const wake of waiters) wake();
  }
}

function earliestStart(
  starts: readonly number[],
  limits: BucketLimits,
  blockedUntil: number,
  now: number,
): number {
  let at = Math.max(now, blockedUntil);
  const n = starts.length;
  if (n >= limits.perHour) {
    // Only starts within the window matter; `starts` may hold older ones during planning.
    const oldestRelevant = starts[n - limits.perHour]!;
    at = Math.max(at, oldestRelevant + limits.windowMs);
  }
  if (limits.perSecond !== undefined && n >= limits.perSecond) {
    at = Math.max(at, starts[n - limits.perSecond]! + 1000);
  }
  return at;
}

function checkLimits(limits: BucketLimits): void {
  const ok =
    Number.isInteger(limits.perHour) &&
    limits.perHour >= 1 &&
    limits.windowMs > 0 &&
    Number.isInteger(limits.concurrency) &&
    limits.concurrency >= 1 &&
    (limits.perSecond === undefined || (Number.isInteger(limits.perSecond) && limits.perSecond >= 1));
  if (!ok) {
    throw new InvalidArgumentError(
      'Invalid rate limits: perHour, concurrency and perSecond must be positive integers.',
      {
        details: { limits: { ...limits } },
      },
    );
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Identifies one shared limiter. */
export interface RateLimiterKey {
  /** Base URL of the family the bucket serves (no credentials). */
  baseUrl: string;
  /** Project id, or a placeholder for a project secret without one. */
  projectId: string;
  bucket: RateLimitBucket;
}

/**
 * Process-wide registry: one {@link RateLimiter} per (base URL, project, bucket), shared by every
 * client that uses the same {@link Clock} (the system clock by default). Keying by clock keeps a
 * test's fake time from leaking into another test's limiter.
 */
export class RateLimiterRegistry {
  #byClock = new WeakMap<Clock, Map<string, RateLimiter>>();

  /** Returns the limiter for `key`, creating it with `limits` (or the defaults) on first use. */
  get(clock: Clock, key: RateLimiterKey, limits?: Partial<BucketLimits>): RateLimiter {
    let map = this.#byClock.get(clock);
    if (map === undefined) {
      map = new Map();
      this.#byClock.set(clock, map);
    }
    const id = `${key.baseUrl}|${key.projectId}|${key.bucket}`;
    let limiter = map.get(id);
    if (limiter === undefined) {
      limiter = new RateLimiter(
        key.bucket,
        { ...DEFAULT_BUCKET_LIMITS[key.bucket], ...definedOnly(limits ?? {}) },
        clock,
      );
      map.set(id, limiter);
    } else if (limits !== undefined && Object.keys(definedOnly(limits)).length > 0) {
      limiter.configure(limits);
    }
    return limiter;
  }
}

/** The registry used by every client unless another one is injected. */
export const sharedRateLimiters = new RateLimiterRegistry();
