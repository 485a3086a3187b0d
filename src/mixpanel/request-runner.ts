import { ApiError, type MixpanelDataError, RateLimitError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';
import { authorizationHeader, type MixpanelAuth } from './auth.js';
import type { Clock } from './clock.js';
import { type BaseUrls, buildUrl, type EndpointFamily } from './endpoints.js';
import { type HttpResponse, type HttpTransport, readBodyText } from './http-request.js';
import { parseJsonLossless } from './lossless-json-line.js';
import { errorForResponse, isRetryableError, REQUEST_ID_HEADERS, withApiDetails } from './mixpanel-errors.js';
import { readRateLimitHeaders } from './rate-limit-headers.js';
import type { RateLimitBucket, RateLimiter, RatePermit } from './rate-limiter.js';
import { backoffDelay, parseRetryAfter, type RetryPolicy } from './retry-policy.js';

/** Longest error body read before giving up on the rest. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Everything a runner needs; built once by the client. */
export interface RunnerConfig {
  baseUrls: BaseUrls;
  auth: MixpanelAuth;
  /** Digits, or undefined for a project secret without a project id. */
  projectId: string | undefined;
  workspaceId: string | undefined;
  clock: Clock;
  transport: HttpTransport;
  retry: RetryPolicy;
  /** The shared limiter for a bucket, or undefined when rate limiting is off. */
  limiter: (bucket: RateLimitBucket) => RateLimiter | undefined;
  maxRateLimitWaitMs: number;
  idleTimeoutMs: number;
  userAgent: string;
}

/** One logical call. */
export interface CallSpec {
  family: EndpointFamily;
  path: string;
  method: 'GET' | 'POST';
  /** Query-string parameters (`project_id`/`workspace_id` are added). */
  params?: Record<string, string | undefined>;
  /** Form fields for a POST body. */
  form?: Record<string, string | undefined>;
  /** Budget the call draws on; `free` skips the limiter (Engage pages with a session id). */
  bucket: RateLimitBucket | 'free';
  /** Human description for messages, e.g. `export 2024-06-01..2024-06-01`. */
  operation: string;
  accept: 'json' | 'text';
  signal?: AbortSignal | undefined;
  /** Secret-free context added to error details. */
  details?: Record<string, unknown>;
}

/** Sends requests with auth, rate limiting, error mapping and retries. */
export class RequestRunner {
  readonly #config: RunnerConfig;

  constructor(config: RunnerConfig) {
    this.#config = config;
  }

  /** The clock every wait goes through. */
  get clock(): Clock {
    return this.#config.clock;
  }

  /** Attempts allowed per request or export range. */
  get maxAttempts(): number {
    return this.#config.retry.maxAttempts;
  }

  /** Base URL of a family (no credentials). */
  baseUrl(family: EndpointFamily): string {
    return this.#config.baseUrls[family];
  }

  /**
   * One attempt: waits for a rate-limit slot, sends, and maps any non-2xx answer to an error. On
   * success the caller must read `body` to the end or call `close()`; the concurrency slot is
   * released only then (a stream counts until it ends).
   */
  async open(spec: CallSpec): Promise<HttpResponse> {
    const config = this.#config;
    throwIfAborted(spec.signal, `Mixpanel ${spec.operation}`);
    const limiter = spec.bucket === 'free' ? undefined : config.limiter(spec.bucket);
    const permit: RatePermit = limiter
      ? await limiter.acquire({ signal: spec.signal, maxWaitMs: config.maxRateLimitWaitMs })
      : { release: () => {} };
    let response: HttpResponse;
    try {
      response = await config.transport({
        method: spec.method,
        url: buildUrl(config.baseUrls[spec.family], spec.path, {
          project_id: config.projectId,
          workspace_id: config.workspaceId,
          ...spec.params,
        }),
        headers: this.#headers(spec),
        body: spec.form === undefined ? undefined : formBody(spec.form),
        signal: spec.signal,
        idleTimeoutMs: config.idleTimeoutMs,
        endpoint: spec.path,
        operation: spec.operation,
      });
    } catch (error) {
      permit.release();
      throw error;
    }
    if (response.status >= 200 && response.status < 300) {
      return {
        ...response,
        body: releasing(response.body, permit),
        close: () => {
          response.close();
          permit.release();
        },
      };
    }
    let text: string;
    try {
      text = await readBodyText(response, MAX_ERROR_BODY_BYTES);
    } catch {
      text = '';
    } finally {
      permit.release();
    }
    throw this.#failure(spec, response, text, limiter);
  }

  /**
   * A whole-body JSON call with retries (5xx, network failures, short 429 waits). The body is
   * parsed losslessly (big integers become `bigint`).
   */
  async json(spec: CallSpec): Promise<unknown> {
    return this.withRetries(spec, async () => {
      const response = await this.open(spec);
      const text = await readBodyText(response);
      try {
        return parseJsonLossless(text);
      } catch (cause) {
        throw new ApiError(
          `Mixpanel ${spec.operation} returned a body that is not valid JSON at ${spec.path}.`,
          { status: response.status, endpoint: spec.path, retryable: true },
          { cause, details: { ...spec.details } },
        );
      }
    });
  }

  /** Runs `attempt` until it succeeds, fails for good, or the attempts run out. */
  async withRetries<T>(spec: Pick<CallSpec, 'signal'>, attempt: (n: number) => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt(n);
      } catch (error) {
        const delay = this.retryDelay(error, n);
        if (delay === undefined) throw this.finalError(error, n);
        await this.#config.clock.sleep(delay, spec.signal);
      }
    }
  }

  /**
   * How long to wait before attempt `attempt + 1`, or `undefined` when the error is final (not
   * retryable, or attempts used up). `Retry-After` (kept in `details.retryAfterMs`) replaces the
   * computed backoff. Throws `RateLimitError` when a 429's wait would exceed `maxRateLimitWaitMs`.
   */
  retryDelay(error: unknown, attempt: number): number | undefined {
    if (!isRetryableError(error) || attempt >= this.#config.retry.maxAttempts) return undefined;
    const apiError = error as ApiError;
    const retryAfter = apiError.details.retryAfterMs;
    const delay = typeof retryAfter === 'number' ? retryAfter : backoffDelay(this.#config.retry, attempt);
    if (apiError.status === 429 && delay > this.#config.maxRateLimitWaitMs) {
      throw this.#rateLimitError(apiError, delay);
    }
    return delay;
  }

  /** The error to surface once retrying stops: a 429 becomes `RateLimitError`, others note the attempts. */
  finalError(error: unknown, attempts: number): unknown {
    if (!(error instanceof ApiError) || !error.retryable || attempts <= 1) return error;
    if (error.status === 429) {
      const retryAfter = error.details.retryAfterMs;
      const wait = typeof retryAfter === 'number' ? retryAfter : backoffDelay(this.#config.retry, attempts);
      return this.#rateLimitError(error, wait);
    }
    return withApiDetails(error, { attempts }, ` Gave up after ${attempts} attempts.`);
  }

  #rateLimitError(error: ApiError, waitMs: number): RateLimitError {
    const bucket = typeof error.details.bucket === 'string' ? error.details.bucket : 'query';
    const kind = typeof error.details.rateLimitKind === 'string' ? error.details.rateLimitKind : 'quota';
    const retryAt = new Date(this.#config.clock.now() + waitMs);
    return new RateLimitError(
      `${error.message} Retry after ${retryAt.toISOString()}.`,
      retryAt,
      bucket,
      kind,
      { cause: error, details: { status: 429, endpoint: error.endpoint, waitMs } },
    );
  }

  #failure(
    spec: CallSpec,
    response: HttpResponse,
    body: string,
    limiter: RateLimiter | undefined,
  ): MixpanelDataError {
    const config = this.#config;
    const requestId = REQUEST_ID_HEADERS.map((h) => response.header(h)).find(
      (v) => v !== undefined && v !== '',
    );
    const now = config.clock.now();
    const retryAfterMs = parseRetryAfter(response.header('retry-after'), now);
    const base = errorForResponse({
      status: response.status,
      body,
      endpoint: spec.path,
      operation: spec.operation,
      requestId,
      details: spec.details,
    });
    if (response.status !== 429) {
      if (retryAfterMs !== undefined && base instanceof ApiError && base.retryable) {
        return withApiDetails(base, { retryAfterMs: Math.min(retryAfterMs, config.retry.maxDelayMs) });
      }
      return base;
    }
    const policyHeader = response.header('ratelimit-policy');
    const stateHeader = response.header('ratelimit');
    const info = readRateLimitHeaders(policyHeader, stateHeader);
    limiter?.learn(info);
    const bucket = spec.bucket === 'free' ? 'query' : spec.bucket;
    const kind =
      info.exhausted ??
      (bucket === 'export'
        ? 'export'
        : policyHeader === undefined && stateHeader === undefined
          ? 'loadShed'
          : 'quota');
    const waitMs = retryAfterMs ?? info.resetMs;
    const error = withApiDetails(base as ApiError, {
      bucket,
      rateLimitKind: kind,
      ...(waitMs === undefined ? {} : { retryAfterMs: waitMs }),
    });
    if (waitMs !== undefined) {
      limiter?.blockUntil(now + waitMs, kind);
      if (waitMs > config.maxRateLimitWaitMs) return this.#rateLimitError(error, waitMs);
    }
    return error;
  }

  #headers(spec: CallSpec): Record<string, string> {
    const headers: Record<string, string> = {
      Authorization: authorizationHeader(this.#config.auth),
      Accept: spec.accept === 'json' ? 'application/json' : 'text/plain',
      'Accept-Encoding': 'gzip',
      'User-Agent': this.#config.userAgent,
    };
    if (spec.form !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    return headers;
  }
}

function formBody(form: Record<string, string | undefined>): string {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) if (value !== undefined) body.set(key, value);
  return body.toString();
}

async function* releasing(body: AsyncIterable<Uint8Array>, permit: RatePermit): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } finally {
    permit.release();
  }
}
