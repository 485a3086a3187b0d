import { InvalidArgumentError } from '../errors.js';
import { addDays, checkDateRange, daysBetween } from './dates.js';
import type { BucketLimits } from './rate-limiter.js';

/** Days per export request we never exceed. */
export const MAX_DAYS_PER_EXPORT = 100;

/** One request of a plan: an inclusive day range. */
export interface DateRange {
  fromDate: string;
  toDate: string;
}

/** What an export of a long range will cost. */
export interface ExportPlan {
  chunks: DateRange[];
  /** Number of export requests (one per chunk, before retries). */
  requests: number;
  /** The hourly export budget assumed. */
  perHour: number;
  /** Requests that can start right away given what the budget has already spent. */
  availableNow: number;
  /**
   * Least time from now until the last request may start, given the rolling hourly window, the
   * per-second limit and requests already made through the shared limiter. Transfer time is extra.
   */
  minDurationMs: number;
  /** One-line human summary, e.g. for a CLI to print before starting. */
  summary: string;
}

/** Splits `fromDate..toDate` into chunks of `chunkDays` days (1..100); the last chunk may be shorter. */
export function splitRange(fromDate: string, toDate: string, chunkDays: number): DateRange[] {
  checkDateRange(fromDate, toDate);
  if (!Number.isInteger(chunkDays) || chunkDays < 1 || chunkDays > MAX_DAYS_PER_EXPORT) {
    throw new InvalidArgumentError(`chunkDays must be an integer from 1 to ${MAX_DAYS_PER_EXPORT}.`, {
      details: { chunkDays },
    });
  }
  const chunks: DateRange[] = [];
  for (let start = fromDate; start <= toDate; start = addDays(start, chunkDays)) {
    const end = addDays(start, chunkDays - 1);
    chunks.push({ fromDate: start, toDate: end < toDate ? end : toDate });
  }
  return chunks;
}

/** Budget state the plan starts from (see `RateLimiter.snapshot`). */
export interface BudgetState {
  limits: BucketLimits;
  /** Requests already started in the current window. */
  startedInWindow: number;
  /** Epoch ms until which the server told us to wait, or 0. */
  blockedUntil: number;
}

/**
 * Builds a plan from the chunks and the planned start times of its requests (from
 * `RateLimiter.planStarts`), measured from `nowMs`.
 */
export function buildExportPlan(
  chunks: DateRange[],
  plannedStarts: number[],
  budget: BudgetState,
  nowMs: number,
): ExportPlan {
  const { limits } = budget;
  const last = plannedStarts.at(-1);
  const minDurationMs = last === undefined ? 0 : Math.max(0, last - nowMs);
  const availableNow =
    budget.blockedUntil > nowMs
      ? 0
      : Math.max(0, Math.min(chunks.length, limits.perHour - budget.startedInWindow));
  const days = chunks.length === 0 ? 0 : daysBetween(chunks[0]!.fromDate, chunks.at(-1)!.toDate);
  const summary =
    `${days} day(s) in ${chunks.length} export request(s); at ${limits.perHour} requests per hour ` +
    `this takes at least ${formatDuration(minDurationMs)} plus transfer time.`;
  return { chunks, requests: chunks.length, perHour: limits.perHour, availableNow, minDurationMs, summary };
}

function formatDuration(ms: number): string {
  const totalSeconds = Math.ceil(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}
