import { assertUserTableName } from '../engine/table-name.js';
import { InvalidArgumentError } from '../errors.js';
import { checkDateRange } from '../mixpanel/dates.js';
import { MAX_DAYS_PER_EXPORT } from '../mixpanel/index.js';
import type { FetchEventsOptions } from './fetch-types.js';

/** How a fetch treats an existing table. */
export type FetchMode = 'create' | 'append' | 'replace';

/** Validated `fetchEvents` options with defaults applied. */
export interface ResolvedFetchEvents {
  readonly name: string;
  readonly fromDate: string;
  readonly toDate: string;
  readonly mode: FetchMode;
  readonly workers: number;
  readonly chunkDays: number;
  readonly timeInMs: boolean;
  readonly events: readonly string[] | undefined;
  readonly where: string | undefined;
  readonly limit: number | undefined;
}

/** Default chunks in flight when `parallel` is set. */
export const DEFAULT_WORKERS = 3;
/** Mixpanel's documented concurrent export limit per project. */
const MAX_WORKERS = 100;

/** The mode selected by the `append` / `replace` flags; both at once is an error. */
export function fetchMode(options: { append?: boolean; replace?: boolean }): FetchMode {
  if (options.append && options.replace) {
    throw new InvalidArgumentError('append and replace cannot be combined: choose one.', {
      details: { append: true, replace: true },
    });
  }
  return options.append ? 'append' : options.replace ? 'replace' : 'create';
}

/** Checks `n` is an integer in `[min, max]`, naming `field` otherwise. */
export function checkInteger(n: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${field} must be an integer from ${min} to ${max} (got ${n}).`, {
      details: { [field]: n },
    });
  }
  return n;
}

/**
 * Validates `fetchEvents` options before anything is opened or sent.
 *
 * @throws InvalidArgumentError for a bad table name, bad dates, `from > to`, `append` with
 *   `replace`, or an out-of-range `chunkDays`, `workers`, `limit` or `batchSize`.
 */
export function resolveFetchEvents(options: FetchEventsOptions): ResolvedFetchEvents {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('fetchEvents needs an options object with fromDate and toDate.');
  }
  const name = options.name ?? 'events';
  assertUserTableName(name);
  checkDateRange(options.fromDate, options.toDate);
  const mode = fetchMode(options);
  const chunkDays = checkInteger(options.chunkDays ?? 1, 'chunkDays', 1, MAX_DAYS_PER_EXPORT);
  const workers = options.parallel
    ? checkInteger(options.workers ?? DEFAULT_WORKERS, 'workers', 1, MAX_WORKERS)
    : 1;
  if (options.limit !== undefined) checkInteger(options.limit, 'limit', 1, 100_000);
  if (options.batchSize !== undefined) checkInteger(options.batchSize, 'batchSize', 1, 10_000_000);
  if (options.events !== undefined && (!Array.isArray(options.events) || options.events.length === 0)) {
    throw new InvalidArgumentError('events must be a non-empty list of event names; omit it for all events.');
  }
  return {
    name,
    fromDate: options.fromDate,
    toDate: options.toDate,
    mode,
    workers,
    chunkDays,
    timeInMs: options.timeInMs ?? false,
    events: options.events,
    where: options.where,
    limit: options.limit,
  };
}

/** A private, valid table name to build a replacement in: `{name}__mp_tmp_{random}`, ≤ 63 chars. */
export function temporaryTableName(name: string): string {
  const suffix = `__mp_tmp_${Math.random().toString(36).slice(2, 10).padEnd(8, '0')}`;
  return `${name.slice(0, 63 - suffix.length)}${suffix}`;
}
