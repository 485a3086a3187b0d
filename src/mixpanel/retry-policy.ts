import { InvalidArgumentError } from '../errors.js';

/** How failed requests are retried. */
export interface RetryOptions {
  /** Total attempts per request or export range, first one included. Default 5. */
  maxAttempts?: number;
  /** Backoff base in ms. Default 1000. */
  baseDelayMs?: number;
  /** Backoff cap in ms. Default 60000. */
  maxDelayMs?: number;
  /** Source of randomness for the jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** A fully resolved {@link RetryOptions}. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly random: () => number;
}

/** Fills defaults and validates. */
export function resolveRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? 5,
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 60_000,
    random: options.random ?? Math.random,
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new InvalidArgumentError('retry.maxAttempts must be an integer of at least 1.');
  }
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= 0)) {
    throw new InvalidArgumentError('retry delays must be non-negative numbers.');
  }
  return policy;
}

/**
 * Exponential backoff with full jitter: a random delay in `[0, min(cap, base * 2^(attempt-1)))`.
 * `attempt` is the 1-based number of the attempt that just failed.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) into a delay in ms from `nowMs`.
 * Returns `undefined` when absent or unparsable.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
