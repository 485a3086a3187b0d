import { errorBodyText } from './json-text.js';

/** The per-project limits of section 6. */
export interface FakeRateLimitQuotas {
  /** Export requests per rolling hour. Default 60. */
  exportPerHour: number;
  /** Export requests per rolling second. Default 3. */
  exportPerSecond: number;
  /** Export streams in flight at once. Default 100. */
  exportConcurrency: number;
  /** Query API requests (Engage page 0 included) per rolling hour. Default 60. */
  queryPerHour: number;
  /** Query API requests in flight at once. Default 5. */
  queryConcurrency: number;
}

/** The documented defaults. */
export const DEFAULT_QUOTAS: FakeRateLimitQuotas = {
  exportPerHour: 60,
  exportPerSecond: 3,
  exportConcurrency: 100,
  queryPerHour: 60,
  queryConcurrency: 5,
};

/** A response the fake sends instead of handling a request. */
export interface CannedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const HOUR_MS = 3_600_000;
const JSON_TYPE = 'application/json';
const DOCS_URL =
  'https://help.mixpanel.com/hc/en-us/articles/115004602563-Rate-Limits-for-Export-API-Endpoints';

/** The rate-limit bucket a request draws on. */
export type RateBucket = 'export' | 'query';

/** State the 429 builders need. */
export interface RateState {
  readonly projectId: string;
  readonly requestUrl: string;
  readonly quotas: FakeRateLimitQuotas;
  /** Requests already counted in the rolling hour. */
  readonly usedInHour: number;
  /** Seconds until the oldest counted request leaves the hour. */
  readonly resetSeconds: number;
  readonly inFlight: number;
}

function policyHeader(q: FakeRateLimitQuotas): string {
  return `"project";q=${q.queryPerHour};w=3600, "project-concurrency";q=${q.queryConcurrency};qu="concurrent-requests"`;
}

/** Query API 429: hourly quota used up (section 6, first form). */
export function queryQuota429(s: RateState): CannedResponse {
  const q = s.quotas;
  const concurrencyLeft = Math.max(0, q.queryConcurrency - s.inFlight);
  return {
    status: 429,
    headers: {
      'RateLimit-Policy': policyHeader(q),
      RateLimit: `"project";r=0;t=${s.resetSeconds}, "project-concurrency";r=${concurrencyLeft}`,
      'Retry-After': String(s.resetSeconds),
      'Content-Type': JSON_TYPE,
    },
    body: errorBodyText(
      s.requestUrl,
      `Query rate limit exceeded for project_id: ${s.projectId}. This request exceeded the rate limit ` +
        `(${s.usedInHour + 1}/${q.queryPerHour} queries running in the last hour). ` +
        `For more information, please consult our documentation at ${DOCS_URL}`,
    ),
  };
}

/** Query API 429: too many requests at once (section 6, second form). */
export function queryConcurrency429(s: RateState): CannedResponse {
  const q = s.quotas;
  return {
    status: 429,
    headers: {
      'RateLimit-Policy': policyHeader(q),
      RateLimit: `"project";r=${Math.max(0, q.queryPerHour - s.usedInHour)}, "project-concurrency";r=0;t=10`,
      'Content-Type': JSON_TYPE,
    },
    body: errorBodyText(
      s.requestUrl,
      `Query rate limit exceeded for project_id: ${s.projectId}. This request exceeded the concurrency limit ` +
        `(${s.inFlight + 1}/${q.queryConcurrency} queries running concurrently).`,
    ),
  };
}

/** Query API 429: load shedding, with no rate-limit headers (section 6, third form). */
export function loadShed429(s: Pick<RateState, 'projectId' | 'requestUrl'>): CannedResponse {
  return {
    status: 429,
    headers: { 'Content-Type': JSON_TYPE },
    body: errorBodyText(
      s.requestUrl,
      `Query rate limit exceeded for project_id: ${s.projectId} For more information, please consult our documentation`,
    ),
  };
}

/** Export 429: undocumented, so no headers unless asked; JSON or plain text. */
export function export429(
  s: Pick<RateState, 'projectId' | 'requestUrl'>,
  reason: 'hour' | 'second' | 'concurrency',
  options: { body?: 'json' | 'text'; retryAfter?: number } = {},
): CannedResponse {
  const message =
    reason === 'concurrency'
      ? 'too many export requests in progress for this project'
      : `Export rate limit exceeded for project_id: ${s.projectId} (too many requests in the last ${reason})`;
  const text = options.body === 'text';
  const headers: Record<string, string> = { 'Content-Type': text ? 'text/plain; charset=utf-8' : JSON_TYPE };
  if (options.retryAfter !== undefined) headers['Retry-After'] = String(options.retryAfter);
  return { status: 429, headers, body: text ? message : errorBodyText(s.requestUrl, message) };
}

/** Outcome of asking for a slot. */
export type RateDecision =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly response: CannedResponse };

/**
 * One project's buckets, measured on the fake clock: rolling windows of request times, plus a
 * count of streams in flight (released when the response closes, not when headers go out).
 */
export class RateLimiter {
  private readonly history: Record<RateBucket, number[]> = { export: [], query: [] };
  private readonly inFlight: Record<RateBucket, number> = { export: 0, query: 0 };

  constructor(
    readonly quotas: FakeRateLimitQuotas,
    private readonly enforce: boolean,
    private readonly projectId: string,
  ) {}

  /** Charges a request to `bucket`, or returns the 429 to send instead. */
  acquire(bucket: RateBucket, nowMs: number, requestUrl: string): RateDecision {
    const times = this.history[bucket];
    while (times.length > 0 && (times[0] as number) <= nowMs - HOUR_MS) times.shift();
    if (this.enforce) {
      const refusal = this.check(bucket, nowMs, requestUrl, times);
      if (refusal) return { ok: false, response: refusal };
    }
    times.push(nowMs);
    this.inFlight[bucket]++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (!released) this.inFlight[bucket]--;
        released = true;
      },
    };
  }

  /**
   * The 429 an injected `rateLimit` fault sends: shaped as if the limit had really been reached,
   * so the headers and the "61/60" style counts look like the real thing.
   */
  simulated(
    variant: 'quota' | 'concurrency' | 'loadShed' | 'export',
    nowMs: number,
    requestUrl: string,
    options: { body?: 'json' | 'text'; retryAfter?: number } = {},
  ): CannedResponse {
    const q = this.quotas;
    const times = this.history.query.filter((t) => t > nowMs - HOUR_MS);
    const base = { projectId: this.projectId, requestUrl, quotas: q };
    switch (variant) {
      case 'quota':
        return queryQuota429({
          ...base,
          usedInHour: q.queryPerHour,
          resetSeconds: 3600,
          inFlight: this.inFlight.query,
        });
      case 'concurrency':
        return queryConcurrency429({
          ...base,
          usedInHour: Math.min(times.length, q.queryPerHour),
          resetSeconds: 0,
          inFlight: q.queryConcurrency,
        });
      case 'loadShed':
        return loadShed429(base);
      default:
        return export429(base, 'hour', options);
    }
  }

  /** Forgets all counted requests (in-flight streams keep their slots). */
  reset(): void {
    this.history.export = [];
    this.history.query = [];
  }

  private check(
    bucket: RateBucket,
    nowMs: number,
    requestUrl: string,
    times: number[],
  ): CannedResponse | null {
    const q = this.quotas;
    const base = { projectId: this.projectId, requestUrl };
    if (bucket === 'query') {
      const state: RateState = {
        ...base,
        quotas: q,
        usedInHour: times.length,
        resetSeconds:
          times.length > 0 ? Math.max(1, Math.ceil(((times[0] as number) + HOUR_MS - nowMs) / 1000)) : 0,
        inFlight: this.inFlight.query,
      };
      if (times.length >= q.queryPerHour) return queryQuota429(state);
      if (this.inFlight.query >= q.queryConcurrency) return queryConcurrency429(state);
      return null;
    }
    if (times.length >= q.exportPerHour) return export429(base, 'hour');
    let lastSecond = 0;
    for (let i = times.length - 1; i >= 0 && (times[i] as number) > nowMs - 1000; i--) lastSecond++;
    if (lastSecond >= q.exportPerSecond) return export429(base, 'second');
    if (this.inFlight.export >= q.exportConcurrency) return export429(base, 'concurrency', { body: 'text' });
    return null;
  }
}
