import type { Exchange } from './http-exchange.js';
import { toJsonText } from './json-text.js';
import { type FakeProfileFilter, matchProfiles } from './profile-query.js';
import { BadRequest, jsonStringArray, optionalBool, optionalInt } from './request-params.js';
import type { ServerContext } from './server-context.js';

/** The Engage fields that define a query; a session is tied to exactly these values. */
const FILTER_FIELDS = [
  'where',
  'output_properties',
  'distinct_id',
  'distinct_ids',
  'filter_by_cohort',
  'include_all_users',
  'data_group_id',
  'behaviors',
  'as_of_timestamp',
  'page_size',
] as const;

/** The 400 Engage sends when a page's session cannot be used. */
export function sessionErrorMessage(sessionId: string, problem: 'unknown' | 'expired' | 'mismatch'): string {
  if (problem === 'mismatch') {
    return `session_id ${sessionId} was created for different query parameters; send the same filters on every page`;
  }
  return `Invalid or expired session_id ${sessionId}: the session has expired, request page 0 again`;
}

function parseFilter(ex: Exchange): FakeProfileFilter {
  const filter: FakeProfileFilter = {};
  const where = ex.param('where');
  if (where !== undefined && where !== '') filter.where = where;
  const behaviors = ex.param('behaviors');
  const cohort = ex.param('filter_by_cohort');
  if (behaviors !== undefined && behaviors !== '') {
    if (cohort !== undefined && cohort !== '')
      throw new BadRequest('behaviors cannot be combined with filter_by_cohort');
    throw new BadRequest('behaviors is not supported by the fake server');
  }
  const output = ex.param('output_properties');
  if (output !== undefined && output !== '')
    filter.outputProperties = jsonStringArray(output, 'output_properties');
  const distinctId = ex.param('distinct_id');
  if (distinctId !== undefined && distinctId !== '') filter.distinctId = distinctId;
  const distinctIds = ex.param('distinct_ids');
  if (distinctIds !== undefined && distinctIds !== '')
    filter.distinctIds = jsonStringArray(distinctIds, 'distinct_ids');
  if (cohort !== undefined && cohort !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(cohort);
    } catch {
      parsed = null;
    }
    const id = (parsed as { id?: unknown } | null)?.id;
    const numeric = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
    if (typeof numeric !== 'number' || !Number.isInteger(numeric)) {
      throw new BadRequest(`filter_by_cohort must be a JSON object like {"id": 123}: ${cohort}`);
    }
    filter.cohortId = numeric;
    filter.includeAllUsers = optionalBool(ex.param('include_all_users'), 'include_all_users', true);
  }
  const group = ex.param('data_group_id');
  if (group !== undefined && group !== '') filter.dataGroupId = group;
  return filter;
}

/**
 * `POST /api/query/engage` (and `/api/2.0/engage`): profiles in pages. Page 0 opens a session and
 * reports `total`; later pages must carry that `session_id` and the same filters.
 */
export async function handleEngage(ex: Exchange, ctx: ServerContext): Promise<void> {
  const nowMs = ctx.clock.now();
  const pageText = ex.param('page');
  if (pageText !== undefined && pageText !== '' && !/^\d+$/.test(pageText)) {
    throw new BadRequest(`page must be a non-negative integer: ${pageText}`);
  }
  const page = pageText ? Number(pageText) : 0;
  const pageSize = optionalInt(ex.param('page_size'), 'page_size', ctx.options.engagePageSize, 100_000);
  const filter = parseFilter(ex);
  const sessionParam = ex.param('session_id');
  const filtersKey = JSON.stringify(FILTER_FIELDS.map((f) => ex.param(f) ?? null));
  let sessionId: string;
  if (sessionParam !== undefined && sessionParam !== '') {
    if (ex.fault?.kind === 'sessionExpired')
      throw new BadRequest(sessionErrorMessage(sessionParam, 'expired'));
    const problem = ctx.sessions.check(sessionParam, filtersKey, nowMs);
    if (problem !== null) throw new BadRequest(sessionErrorMessage(sessionParam, problem));
    sessionId = sessionParam;
  } else {
    if (page > 0) throw new BadRequest('session_id is required when page is greater than 0');
    sessionId = ctx.sessions.open(filtersKey, nowMs);
  }
  const matching = matchProfiles(ctx.data.population, filter);
  const results = matching.slice(page * pageSize, (page + 1) * pageSize);
  let text = `{"page":${page},"page_size":${pageSize},"session_id":${JSON.stringify(sessionId)},"status":"ok"`;
  // `total` is only on page 0, as the live service does (section 4).
  if (page === 0) text += `,"total":${matching.length}`;
  text += ',"results":[';
  results.forEach((profile, i) => {
    if (i > 0) text += ',';
    text += `{"$distinct_id":${JSON.stringify(profile.$distinct_id)},"$properties":${toJsonText(profile.$properties)}}`;
  });
  await ex.sendJson(200, `${text}]}`);
}
