import { AbortedError, ApiError, InvalidArgumentError } from '../errors.js';
import { ENGAGE_PATH } from './endpoints.js';
import type { Profile, ProfileQueryParams } from './query-types.js';
import type { RequestRunner } from './request-runner.js';

/** One parsed Engage page. */
export interface EngagePage {
  page: number;
  pageSize: number;
  sessionId: string | undefined;
  /** Matching profiles; present on page 0 only. */
  total: number | undefined;
  results: Profile[];
}

const DEFAULT_PAGE_SIZE = 1000;

/**
 * Validates profile-query parameters and builds the form fields shared by every page
 * (the filters must be exactly the same on each page of a session).
 * Returns `undefined` when the query cannot match anything (an empty `distinctIds`).
 */
export function engageFilters(params: ProfileQueryParams): Record<string, string | undefined> | undefined {
  if (params.cohortId !== undefined && params.behaviors !== undefined) {
    throw new InvalidArgumentError('cohortId and behaviors cannot be combined in one profile query.');
  }
  if (params.includeAllUsers !== undefined && params.cohortId === undefined) {
    throw new InvalidArgumentError('includeAllUsers applies only together with cohortId.');
  }
  if (params.distinctId !== undefined && params.distinctIds !== undefined) {
    throw new InvalidArgumentError('Pass either distinctId or distinctIds, not both.');
  }
  if (params.groupId !== undefined && typeof params.groupId !== 'string') {
    throw new InvalidArgumentError(
      'groupId must be a string (group ids are long integers; keep them as text).',
    );
  }
  if (params.cohortId !== undefined && !/^\d+$/.test(String(params.cohortId))) {
    throw new InvalidArgumentError('cohortId must be a positive integer.', {
      details: { cohortId: params.cohortId },
    });
  }
  if (params.asOfTimestamp !== undefined && !Number.isInteger(params.asOfTimestamp)) {
    throw new InvalidArgumentError('asOfTimestamp must be an integer number of seconds.');
  }
  if (params.pageSize !== undefined && (!Number.isInteger(params.pageSize) || params.pageSize < 1)) {
    throw new InvalidArgumentError('pageSize must be a positive integer.');
  }
  let distinctIds: string[] | undefined;
  if (params.distinctIds !== undefined) {
    distinctIds = [...new Set(params.distinctIds.map(String))];
    if (distinctIds.length === 0) return undefined;
  }
  return {
    where: params.where,
    output_properties:
      params.outputProperties === undefined ? undefined : JSON.stringify(params.outputProperties),
    distinct_id: params.distinctId,
    distinct_ids: distinctIds === undefined ? undefined : JSON.stringify(distinctIds),
    filter_by_cohort: params.cohortId === undefined ? undefined : `{"id":${String(params.cohortId)}}`,
    include_all_users: params.includeAllUsers === undefined ? undefined : String(params.includeAllUsers),
    data_group_id: params.groupId,
    behaviors: params.behaviors,
    as_of_timestamp: params.asOfTimestamp === undefined ? undefined : String(params.asOfTimestamp),
    page_size: params.pageSize === undefined ? undefined : String(params.pageSize),
  };
}

/** Fetches and parses one page. Page 0 draws on the query budget; pages with a session id are free. */
export async function fetchEngagePage(
  runner: RequestRunner,
  filters: Record<string, string | undefined>,
  page: number,
  sessionId: string | undefined,
  signal: AbortSignal | undefined,
): Promise<EngagePage> {
  const body = await runner.json({
    family: 'engage',
    path: ENGAGE_PATH,
    method: 'POST',
    form: { ...filters, page: String(page), session_id: sessionId },
    bucket: sessionId === undefined ? 'query' : 'free',
    operation: `engage page ${page}`,
    accept: 'json',
    signal,
    details: { page },
  });
  return parseEngagePage(body, page);
}

function parseEngagePage(body: unknown, page: number): EngagePage {
  const bad = (problem: string) =>
    new ApiError(
      `Mixpanel engage page ${page} returned an unexpected body: ${problem}.`,
      { status: 200, endpoint: ENGAGE_PATH, retryable: false },
      { details: { page } },
    );
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('not a JSON object');
  const record = body as Record<string, unknown>;
  if (typeof record.status === 'string' && record.status !== 'ok') {
    const error = typeof record.error === 'string' ? `: ${record.error}` : '';
    throw bad(`status '${record.status}'${error}`);
  }
  if (!Array.isArray(record.results)) throw bad('no results array');
  const results: Profile[] = record.results.map((row: unknown, index: number) => {
    if (typeof row !== 'object' || row === null) throw bad(`result ${index} is not an object`);
    const r = row as Record<string, unknown>;
    const id = r.$distinct_id;
    if (typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'bigint') {
      throw bad(`result ${index} has no $distinct_id`);
    }
    const props = r.$properties;
    const properties =
      typeof props === 'object' && props !== null && !Array.isArray(props)
        ? (props as Record<string, unknown>)
        : {};
    return { distinct_id: String(id), properties };
  });
  const pageSize = toCount(record.page_size) ?? DEFAULT_PAGE_SIZE;
  return {
    page,
    pageSize: pageSize > 0 ? pageSize : DEFAULT_PAGE_SIZE,
    sessionId:
      typeof record.session_id === 'string' && record.session_id !== '' ? record.session_id : undefined,
    total: toCount(record.total),
    results,
  };
}

function toCount(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** True for a 4xx (not 429) that mentions the session: the session expired or was refused. */
export function isSessionError(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 429 &&
    /session/i.test(error.message)
  );
}

/**
 * Pages of one Engage session, in page order. After page 0, pages `1..ceil(total/page_size)-1` are
 * fetched up to `maxParallel` at a time (when `parallel`), then one by one until a short page. The
 * short-page stop rule always applies. In-flight pages are cancelled when iteration stops early.
 */
export async function* engagePages(
  runner: RequestRunner,
  filters: Record<string, string | undefined>,
  options: { parallel: boolean; maxParallel: number; signal: AbortSignal | undefined },
): AsyncGenerator<EngagePage> {
  const first = await fetchEngagePage(runner, filters, 0, undefined, options.signal);
  yield first;
  if (first.results.length < first.pageSize) return;
  const sessionId = first.sessionId;
  if (sessionId === undefined) {
    throw new ApiError(
      'Mixpanel engage page 0 was full but carried no session_id, so later pages cannot be requested.',
      { status: 200, endpoint: ENGAGE_PATH, retryable: false },
    );
  }
  const plannedLast =
    options.parallel && first.total !== undefined ? Math.ceil(first.total / first.pageSize) - 1 : 0;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const inFlight = new Map<number, Promise<EngagePage>>();
  let launched = 0;
  try {
    for (let next = 1; ; next++) {
      const upTo = next <= plannedLast ? Math.min(plannedLast, next + options.maxParallel - 1) : next;
      while (launched < upTo) {
        launched++;
        const promise = fetchEngagePage(runner, filters, launched, sessionId, controller.signal);
        promise.catch(() => {}); // Awaited later; avoid an unhandled rejection meanwhile.
        inFlight.set(launched, promise);
      }
      const pending = inFlight.get(next)!;
      inFlight.delete(next);
      let page: EngagePage;
      try {
        page = await pending;
      } catch (error) {
        if (error instanceof AbortedError && options.signal?.aborted) {
          throw new AbortedError('Mixpanel engage', { cause: options.signal.reason });
        }
        throw error;
      }
      yield page;
      if (page.results.length < page.pageSize) return;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (inFlight.size > 0) controller.abort(new AbortedError('Mixpanel engage (stopped early)'));
  }
}

/**
 * All matching profiles, in page order. If a later page fails because the session expired, the
 * query restarts from page 0 once (a new session, one more query request); profiles already
 * yielded are skipped by `distinct_id`, so the caller never sees a profile twice.
 */
export async function* queryProfiles(
  runner: RequestRunner,
  params: ProfileQueryParams,
): AsyncGenerator<Profile> {
  const filters = engageFilters(params);
  if (filters === undefined) return;
  const maxParallel = params.maxParallelPages ?? 4;
  if (!Number.isInteger(maxParallel) || maxParallel < 1) {
    throw new InvalidArgumentError('maxParallelPages must be a positive integer.');
  }
  const options = { parallel: params.parallel ?? true, maxParallel, signal: params.signal };
  const seen = new Set<string>();
  for (let run = 0; run < 2; run++) {
    let pagesDone = 0;
    try {
      for await (const page of engagePages(runner, filters, options)) {
        pagesDone++;
        for (const profile of page.results) {
          if (run > 0 && seen.has(profile.distinct_id)) continue;
          seen.add(profile.distinct_id);
          yield profile;
        }
      }
      return;
    } catch (error) {
      if (run === 0 && pagesDone > 0 && isSessionError(error)) continue;
      throw error;
    }
  }
}

/** The number of matching profiles: `total` of page 0, or a full count when the server omits it. */
export async function countProfiles(runner: RequestRunner, params: ProfileQueryParams): Promise<number> {
  const filters = engageFilters(params);
  if (filters === undefined) return 0;
  const first = await fetchEngagePage(runner, filters, 0, undefined, params.signal);
  if (first.total !== undefined) return first.total;
  let count = 0;
  for await (const _ of queryProfiles(runner, params)) count++;
  return count;
}
