import { inspect } from 'node:util';
import { InvalidArgumentError } from '../errors.js';
import { type AuthDescription, checkAuth, describeAuth, type MixpanelAuth, projectIdText } from './auth.js';
import { type Clock, systemClock } from './clock.js';
import { clampToToday, daysBetween, todayIn } from './dates.js';
import {
  type BaseUrls,
  checkRegion,
  EXPORT_PATH,
  type MixpanelRegion,
  resolveBaseUrls,
} from './endpoints.js';
import { countProfiles, queryProfiles } from './engage-pager.js';
import {
  type ExportAttempt,
  type ExportAttemptInfo,
  type ExportParams,
  exportAttempts,
  exportEvents,
  exportRange,
  exportRangeBlocks,
  type MixpanelWarning,
  type PreparedExport,
  type RawEvent,
} from './event-export.js';
import { buildExportPlan, type ExportPlan, MAX_DAYS_PER_EXPORT, splitRange } from './export-plan.js';
import { fetchTransport, type HttpTransport, nodeHttpTransport } from './http-request.js';
import type { LineBlock } from './line-blocks.js';
import * as queryApi from './query-api.js';
import type {
  Cohort,
  EventNamesParams,
  FunnelParams,
  FunnelResult,
  FunnelSummary,
  Profile,
  ProfileQueryParams,
  PropertyValuesParams,
  RetentionParams,
  RetentionResult,
  SegmentationParams,
  SegmentationResult,
  TopEventsParams,
  TopEventsResult,
  TopPropertiesParams,
  TopProperty,
} from './query-types.js';
import {
  type BucketLimits,
  type RateLimitBucket,
  type RateLimiter,
  type RateLimiterRegistry,
  sharedRateLimiters,
} from './rate-limiter.js';
import { RequestRunner } from './request-runner.js';
import { type RetryOptions, resolveRetryPolicy } from './retry-policy.js';

/** Client-side rate limiting. */
export interface RateLimitOptions {
  /** Default true. `false` sends requests without waiting (the server still enforces its limits). */
  enabled?: boolean;
  /** Overrides for the export bucket (default 60/h, 3/s, 100 concurrent). */
  export?: Partial<BucketLimits>;
  /** Overrides for the query bucket (default 60/h, 5 concurrent); some projects have 240 or 400/h. */
  query?: Partial<BucketLimits>;
  /** Where limiters are shared; default the process-wide registry. */
  registry?: RateLimiterRegistry;
}

/** Options of {@link MixpanelClient}; plain values, typically produced by the config loader. */
export interface MixpanelClientOptions {
  auth: MixpanelAuth;
  /** Data-residency region; default `us`. Kept for display only when `baseUrl` is set. */
  region?: MixpanelRegion;
  /** One base URL for every family (proxy, fake server). `http:` only on loopback. */
  baseUrl?: string;
  /** `workspace_id` for projects that use data views. */
  workspaceId?: string | number;
  /**
   * IANA time zone of a project created before 2023: its export days and "today" follow that zone.
   * Default: UTC.
   */
  projectTimezone?: string;
  /** Time source for every wait; default the system clock. */
  clock?: Clock;
  /** Send requests through this `fetch` instead of `node:http` (see `fetchTransport`). */
  fetch?: typeof fetch;
  /** Lowest-level override of how requests are sent (tests). Wins over `fetch`. */
  transport?: HttpTransport;
  retry?: RetryOptions;
  rateLimits?: RateLimitOptions;
  /** Longest rate-limit wait accepted before failing with `RateLimitError`. Default 30 000 ms. */
  maxRateLimitWaitMs?: number;
  /** Fail a request when no byte arrives for this long. Default 120 000 ms. */
  idleTimeoutMs?: number;
  /** Receives warnings (clamped `to_date`, deprecated project secret). Never given secrets. */
  onWarning?: (warning: MixpanelWarning) => void;
  /** `User-Agent` header. */
  userAgent?: string;
}

/** Secret-free description of a client (what `toJSON()` and `util.inspect` show). */
export interface MixpanelClientDescription {
  region: MixpanelRegion;
  baseUrls: BaseUrls;
  auth: AuthDescription;
  workspaceId?: string;
}

let projectSecretWarned = false;

/**
 * Reads Mixpanel: raw event export, Engage profiles, discovery and live reports.
 *
 * Every call accepts an `AbortSignal` that cancels waits and streams at once. Requests are rate
 * limited per (base URL, project, bucket) across the process, retried on 5xx, network failures and
 * short 429s (5 attempts, exponential backoff with full jitter, `Retry-After` wins), and failures
 * map to `AuthenticationError`, `RateLimitError`, `ApiError`, `AbortedError` or
 * `InvalidArgumentError`. Secrets never appear in messages, `toJSON()` or `util.inspect`.
 *
 * ## Exporting a range
 * An export request has no cursor: if its stream breaks, the whole range must be fetched again
 * and everything read from the broken attempt discarded. Pick one of:
 * - {@link exportRange} (recommended): `consume` runs once per attempt and should write the range
 *   as one unit (e.g. inside a transaction it rolls back when it throws).
 * - {@link exportAttempts}: the same as an iterator of attempts, for callers that manage the unit
 *   themselves.
 * - {@link exportEvents}: one stream; retried silently only before its first event, after that a
 *   failure throws a retryable `ApiError` (`details.linesRead`) and the caller must treat the
 *   range as a unit.
 */
export class MixpanelClient {
  readonly #auth: MixpanelAuth;
  readonly #region: MixpanelRegion;
  readonly #baseUrls: BaseUrls;
  readonly #workspaceId: string | undefined;
  readonly #projectTimezone: string | undefined;
  readonly #clock: Clock;
  readonly #runner: RequestRunner;
  readonly #limiters: Partial<Record<RateLimitBucket, RateLimiter>>;
  readonly #onWarning: ((warning: MixpanelWarning) => void) | undefined;

  constructor(options: MixpanelClientOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('MixpanelClient needs an options object.');
    }
    checkAuth(options.auth);
    this.#auth = { ...options.auth };
    this.#region = checkRegion(options.region);
    this.#baseUrls = resolveBaseUrls(this.#region, options.baseUrl);
    this.#workspaceId = options.workspaceId === undefined ? undefined : String(options.workspaceId);
    if (this.#workspaceId !== undefined && !/^\d+$/.test(this.#workspaceId)) {
      throw new InvalidArgumentError('workspaceId must be an integer.');
    }
    this.#projectTimezone = options.projectTimezone;
    if (this.#projectTimezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en-CA', { timeZone: this.#projectTimezone });
      } catch (cause) {
        throw new InvalidArgumentError(`Unknown time zone '${this.#projectTimezone}'.`, { cause });
      }
    }
    this.#clock = options.clock ?? systemClock;
    this.#onWarning = options.onWarning;
    const maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? 30_000;
    const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    if (!(maxRateLimitWaitMs >= 0)) throw new InvalidArgumentError('maxRateLimitWaitMs must be >= 0.');
    if (!(idleTimeoutMs > 0)) throw new InvalidArgumentError('idleTimeoutMs must be > 0.');

    const projectId = projectIdText(this.#auth.projectId);
    const rateLimits = options.rateLimits ?? {};
    const registry = rateLimits.registry ?? sharedRateLimiters;
    this.#limiters = {};
    if (rateLimits.enabled !== false) {
      const key = projectId ?? 'project-secret';
      this.#limiters.export = registry.get(
        this.#clock,
        { baseUrl: this.#baseUrls.export, projectId: key, bucket: 'export' },
        rateLimits.export,
      );
      this.#limiters.query = registry.get(
        this.#clock,
        { baseUrl: this.#baseUrls.query, projectId: key, bucket: 'query' },
        rateLimits.query,
      );
    }
    const transport =
      options.transport ?? (options.fetch ? fetchTransport(options.fetch) : nodeHttpTransport);
    this.#runner = new RequestRunner({
      baseUrls: this.#baseUrls,
      auth: this.#auth,
      projectId,
      workspaceId: this.#workspaceId,
      clock: this.#clock,
      transport,
      retry: resolveRetryPolicy(options.retry),
      limiter: (bucket) => this.#limiters[bucket],
      maxRateLimitWaitMs,
      idleTimeoutMs,
      userAgent: options.userAgent ?? 'mixpanel-data/0.1.0',
    });
    // Once per process, counted only when someone is listening.
    if (this.#auth.kind === 'projectSecret' && !projectSecretWarned && this.#onWarning !== undefined) {
      projectSecretWarned = true;
      this.#warn({
        code: 'PROJECT_SECRET_DEPRECATED',
        message:
          'Project-secret authentication is deprecated by Mixpanel and will be retired on 3 March 2027. Use a service account.',
      });
    }
  }

  /** Secret-free description. */
  describe(): MixpanelClientDescription {
    return {
      region: this.#region,
      baseUrls: this.#baseUrls,
      auth: describeAuth(this.#auth),
      ...(this.#workspaceId === undefined ? {} : { workspaceId: this.#workspaceId }),
    };
  }

  /** Same as {@link describe}; never includes secrets. */
  toJSON(): MixpanelClientDescription {
    return this.describe();
  }

  [inspect.custom](): string {
    return `MixpanelClient ${inspect(this.describe(), { depth: 4 })}`;
  }

  /** The shared limiter of a bucket (undefined when rate limiting is off). */
  rateLimiter(bucket: RateLimitBucket): RateLimiter | undefined {
    return this.#limiters[bucket];
  }

  // ---------------------------------------------------------------- export

  /**
   * Exports one range with retries, discarding partial output: `consume` is called once per
   * attempt with a fresh iterable of that attempt's events and should store the range as a unit.
   *
   * - If the stream fails (reset, premature close, truncated gzip, idle timeout, a
   *   `terminated early` line, a line that is not an event, 5xx, short 429) and `consume` lets that
   *   error propagate (or wraps it as `cause`), the client waits (backoff; `Retry-After` wins) and
   *   calls `consume` again with a new attempt. Roll back what the failed attempt wrote before
   *   rethrowing, e.g. by running the writes inside a transaction.
   * - Any other error from `consume` is rethrown at once, without a retry.
   * - When the attempts run out, the last failure is thrown (`ApiError` with `details.attempts`,
   *   `details.linesRead` and, for bad lines, `details.lineNumber`; or `RateLimitError`).
   *
   * ```ts
   * const rows = await client.exportRange({ fromDate: day, toDate: day }, (events, { attempt }) =>
   *   db.transaction(async (tx) => {
   *     await tx.deleteDay(day);
   *     let n = 0;
   *     for await (const event of events) { await tx.insert(event); n++; }
   *     return n;
   *   }),
   * );
   * ```
   * The range must cover at most 100 days; split longer ranges with {@link planExport}.
   */
  exportRange<T>(
    params: ExportParams,
    consume: (events: AsyncIterable<RawEvent>, info: ExportAttemptInfo) => Promise<T>,
  ): Promise<T> {
    return exportRange(this.#runner, this.#prepareExport(params), consume);
  }

  /**
   * The attempts of one export range, as an async iterator: each attempt has a fresh, single-use
   * `events` iterable. After you finish with an attempt, the iterator either ends (the attempt
   * was read to the end), waits and yields the next attempt (the attempt's stream failed with a
   * retryable error), or throws (a non-retryable failure, or the attempts ran out).
   *
   * ```ts
   * for await (const attempt of client.exportAttempts({ fromDate, toDate })) {
   *   const tx = db.begin();
   *   try {
   *     for await (const event of attempt.events) tx.insert(event);
   *     tx.commit();
   *   } catch (error) {
   *     tx.rollback();
   *     if (error !== attempt.failure) throw error; // not ours: stop
   *     // ours: continue; the iterator retries or throws the final error
   *   }
   * }
   * ```
   * Continuing the loop after an attempt that was neither read to the end nor failed throws
   * `InvalidArgumentError`.
   */
  /**
   * {@link exportRange} over blocks of whole raw JSON lines as bytes (not decoded, not parsed), for
   * a consumer that validates and loads JSON itself, such as DuckDB's `read_json`. Write each
   * attempt's blocks as a unit.
   */
  exportRangeBlocks<T>(
    params: ExportParams,
    consume: (blocks: AsyncIterable<LineBlock>, info: ExportAttemptInfo) => Promise<T>,
  ): Promise<T> {
    return exportRangeBlocks(this.#runner, this.#prepareExport(params), consume);
  }

  exportAttempts(params: ExportParams): AsyncGenerator<ExportAttempt> {
    return exportAttempts(this.#runner, this.#prepareExport(params));
  }

  /**
   * The events of one range as a single stream. Failures before the first event are retried
   * silently; a failure after events were yielded throws `ApiError` with `retryable: true` and
   * `details.linesRead`: everything read from this stream must then be discarded and the range
   * fetched again as a unit. Prefer {@link exportRange}, which does that for you.
   */
  exportEvents(params: ExportParams): AsyncGenerator<RawEvent> {
    return exportEvents(this.#runner, this.#prepareExport(params));
  }

  /**
   * Plans the export of a long range in chunks of `chunkDays` days (1..100): the requests it
   * takes and the least time they need given the hourly budget (and what the shared limiter has
   * already spent). Sends nothing.
   */
  planExport(fromDate: string, toDate: string, chunkDays = 1): ExportPlan {
    const chunks = splitRange(fromDate, toDate, chunkDays);
    const limiter = this.#limiters.export;
    const now = this.#clock.now();
    if (limiter === undefined) {
      return buildExportPlan(chunks, [], { limits: unlimited(), startedInWindow: 0, blockedUntil: 0 }, now);
    }
    const snapshot = limiter.snapshot();
    return buildExportPlan(chunks, limiter.planStarts(chunks.length), snapshot, now);
  }

  #prepareExport(params: ExportParams): PreparedExport {
    if (params === null || typeof params !== 'object')
      throw new InvalidArgumentError('Export parameters are missing.');
    const range = this.#clampRange(params.fromDate, params.toDate, 'export');
    const days = daysBetween(range.fromDate, range.toDate);
    if (days > MAX_DAYS_PER_EXPORT) {
      throw new InvalidArgumentError(
        `An export request covers at most ${MAX_DAYS_PER_EXPORT} days (got ${days}). Split the range (see planExport).`,
        { details: { fromDate: range.fromDate, toDate: range.toDate } },
      );
    }
    if (params.events !== undefined) {
      if (!Array.isArray(params.events) || params.events.length === 0) {
        throw new InvalidArgumentError(
          'events must be a non-empty list of event names; omit it to export all events.',
        );
      }
      if (params.events.some((e) => typeof e !== 'string')) {
        throw new InvalidArgumentError('events must contain only strings.');
      }
    }
    if (
      params.limit !== undefined &&
      (!Number.isInteger(params.limit) || params.limit < 1 || params.limit > 100_000)
    ) {
      throw new InvalidArgumentError('limit must be an integer from 1 to 100000.', {
        details: { limit: params.limit },
      });
    }
    if (params.where !== undefined && typeof params.where !== 'string') {
      throw new InvalidArgumentError('where must be a string expression.');
    }
    return {
      info: {
        endpoint: EXPORT_PATH,
        fromDate: range.fromDate,
        toDate: range.toDate,
        requestedToDate: params.toDate,
        warnings: range.warnings,
      },
      params: {
        from_date: range.fromDate,
        to_date: range.toDate,
        event: params.events === undefined ? undefined : JSON.stringify(params.events),
        where: params.where,
        limit: params.limit === undefined ? undefined : String(params.limit),
        time_in_ms: params.timeInMs ? 'true' : undefined,
      },
      signal: params.signal,
    };
  }

  #clampRange(
    fromDate: string,
    toDate: string,
    operation: string,
  ): { fromDate: string; toDate: string; warnings: MixpanelWarning[] } {
    const today = todayIn(this.#clock.now(), this.#projectTimezone);
    const range = clampToToday(fromDate, toDate, today);
    const warnings: MixpanelWarning[] = [];
    if (range.clampedFrom !== undefined) {
      const warning: MixpanelWarning = {
        code: 'TO_DATE_CLAMPED',
        message: `${operation}: toDate ${range.clampedFrom} is after today (${today}, ${this.#projectTimezone ?? 'UTC'}); sending ${today} instead.`,
        details: { operation, requestedToDate: range.clampedFrom, toDate: today },
      };
      warnings.push(warning);
      this.#warn(warning);
    }
    return { fromDate: range.fromDate, toDate: range.toDate, warnings };
  }

  #warn(warning: MixpanelWarning): void {
    this.#onWarning?.(warning);
  }

  // ---------------------------------------------------------------- engage

  /**
   * Profiles matching the query, in page order (Engage, `POST /api/query/engage`). Only page 0
   * spends a query request; later pages carry the session id and are free. With `parallel` (the
   * default), pages after the first are fetched up to `maxParallelPages` at a time but still yielded
   * in order. A session that expires mid-way restarts the query from page 0 once, skipping
   * profiles already yielded.
   */
  queryProfiles(params: ProfileQueryParams = {}): AsyncGenerator<Profile> {
    return queryProfiles(this.#runner, params);
  }

  /** How many profiles match (`total` of page 0; one query request). */
  countProfiles(params: ProfileQueryParams = {}): Promise<number> {
    return countProfiles(this.#runner, params);
  }

  // ---------------------------------------------------------------- discovery and live queries

  /** Names of events seen in the last 31 days (`/events/names`). */
  eventNames(params: EventNamesParams = {}): Promise<string[]> {
    return queryApi.eventNames(this.#runner, params);
  }

  /** Today's top events (`/events/top`). */
  topEvents(params: TopEventsParams = {}): Promise<TopEventsResult> {
    return queryApi.topEvents(this.#runner, params);
  }

  /** Most common properties of an event (`/events/properties/top`); `count` may be undefined. */
  topProperties(params: TopPropertiesParams): Promise<TopProperty[]> {
    return queryApi.topProperties(this.#runner, params);
  }

  /** Top values of a property, as strings (`/events/properties/values`). */
  propertyValues(params: PropertyValuesParams): Promise<string[]> {
    return queryApi.propertyValues(this.#runner, params);
  }

  /** Event counts per time bucket (`/segmentation`), series sorted, missing days as 0. */
  segmentation(params: SegmentationParams): Promise<SegmentationResult> {
    return queryApi.segmentation(this.#runner, this.#clampForQuery, params);
  }

  /** Saved funnels (`/funnels/list`). */
  funnels(options: { signal?: AbortSignal } = {}): Promise<FunnelSummary[]> {
    return queryApi.funnels(this.#runner, options);
  }

  /** One funnel's steps per date bucket (`/funnels`). */
  funnel(params: FunnelParams): Promise<FunnelResult> {
    return queryApi.funnel(this.#runner, this.#clampForQuery, params);
  }

  /** Retention per cohort date (`/retention`). */
  retention(params: RetentionParams): Promise<RetentionResult> {
    return queryApi.retention(this.#runner, this.#clampForQuery, params);
  }

  /** Saved cohorts (`POST /cohorts/list`). */
  cohorts(options: { signal?: AbortSignal } = {}): Promise<Cohort[]> {
    return queryApi.cohorts(this.#runner, options);
  }

  readonly #clampForQuery: queryApi.RangeClamp = (fromDate, toDate, operation) => {
    const { fromDate: from, toDate: to } = this.#clampRange(fromDate, toDate, operation);
    return { fromDate: from, toDate: to };
  };
}

function unlimited(): BucketLimits {
  return { perHour: Number.MAX_SAFE_INTEGER, windowMs: 3_600_000, concurrency: Number.MAX_SAFE_INTEGER };
}
