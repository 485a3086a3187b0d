import { ApiError, InvalidArgumentError } from '../errors.js';
import { queryPath } from './endpoints.js';
import type {
  Cohort,
  EventNamesParams,
  FunnelParams,
  FunnelResult,
  FunnelSummary,
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
import type { RequestRunner } from './request-runner.js';

/** Clamps a date range (and reports a warning); supplied by the client. */
export type RangeClamp = (
  fromDate: string,
  toDate: string,
  operation: string,
) => { fromDate: string; toDate: string };

type Params = Record<string, string | undefined>;

function call(
  runner: RequestRunner,
  endpoint: string,
  params: Params,
  signal: AbortSignal | undefined,
  method: 'GET' | 'POST' = 'GET',
): Promise<unknown> {
  return runner.json({
    family: 'query',
    path: queryPath(endpoint),
    method,
    params,
    ...(method === 'POST' ? { form: {} } : {}),
    bucket: 'query',
    operation: endpoint,
    accept: 'json',
    signal,
  });
}

function unexpected(endpoint: string, problem: string): ApiError {
  return new ApiError(`Mixpanel ${endpoint} returned an unexpected body: ${problem}.`, {
    status: 200,
    endpoint: queryPath(endpoint),
    retryable: false,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: number | boolean | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

function checkLimit(limit: number | undefined, max: number): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > max)) {
    throw new InvalidArgumentError(`limit must be an integer from 1 to ${max}.`, { details: { limit } });
  }
}

function requireText(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(`${field} is required.`, { details: { field } });
  }
}

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return 0;
}

/** `/events/names`: names of events seen in the last 31 days. */
export async function eventNames(runner: RequestRunner, params: EventNamesParams = {}): Promise<string[]> {
  checkLimit(params.limit, 5000);
  const body = await call(
    runner,
    'events/names',
    { type: params.type ?? 'general', limit: str(params.limit) },
    params.signal,
  );
  if (!Array.isArray(body)) throw unexpected('events/names', 'not an array');
  return body.map((name) => String(name));
}

/** `/events/top`: today's top events with the change since yesterday. */
export async function topEvents(
  runner: RequestRunner,
  params: TopEventsParams = {},
): Promise<TopEventsResult> {
  checkLimit(params.limit, 100_000);
  const body = await call(
    runner,
    'events/top',
    { type: params.type ?? 'general', limit: str(params.limit) },
    params.signal,
  );
  if (!isRecord(body) || !Array.isArray(body.events)) throw unexpected('events/top', 'no events array');
  return {
    type: typeof body.type === 'string' ? body.type : (params.type ?? 'general'),
    events: body.events.filter(isRecord).map((row) => ({
      event: String(row.event),
      amount: num(row.amount),
      percent_change: num(row.percent_change),
    })),
  };
}

/** `/events/properties/top`: the most common properties of an event, in server order. */
export async function topProperties(
  runner: RequestRunner,
  params: TopPropertiesParams,
): Promise<TopProperty[]> {
  requireText(params.event, 'event');
  checkLimit(params.limit, 100_000);
  const body = await call(
    runner,
    'events/properties/top',
    { event: params.event, limit: str(params.limit) },
    params.signal,
  );
  if (!isRecord(body)) throw unexpected('events/properties/top', 'not an object');
  return Object.entries(body).map(([name, value]) => ({
    name,
    count: isRecord(value) && value.count !== undefined ? num(value.count) : undefined,
  }));
}

/** `/events/properties/values`: top values of a property, as strings. */
export async function propertyValues(runner: RequestRunner, params: PropertyValuesParams): Promise<string[]> {
  requireText(params.name, 'name');
  checkLimit(params.limit, 100_000);
  const body = await call(
    runner,
    'events/properties/values',
    { event: params.event, name: params.name, limit: str(params.limit) },
    params.signal,
  );
  if (!Array.isArray(body)) throw unexpected('events/properties/values', 'not an array');
  return body.map((value) => (typeof value === 'string' ? value : JSON.stringify(jsonSafe(value))));
}

function jsonSafe(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * `/segmentation`, normalised: `series` sorted ascending, and every segment has a value for every
 * date of `series` (a missing day reads as 0).
 */
export async function segmentation(
  runner: RequestRunner,
  clamp: RangeClamp,
  params: SegmentationParams,
): Promise<SegmentationResult> {
  requireText(params.event, 'event');
  checkLimit(params.limit, 10_000);
  const range = clamp(params.fromDate, params.toDate, 'segmentation');
  const body = await call(
    runner,
    'segmentation',
    {
      event: params.event,
      from_date: range.fromDate,
      to_date: range.toDate,
      unit: params.unit,
      type: params.type,
      on: params.on,
      where: params.where,
      limit: str(params.limit),
    },
    params.signal,
  );
  if (!isRecord(body) || !isRecord(body.data)) throw unexpected('segmentation', 'no data object');
  const rawSeries = Array.isArray(body.data.series) ? body.data.series.map(String) : [];
  const rawValues = isRecord(body.data.values) ? body.data.values : {};
  const dates = new Set(rawSeries);
  for (const counts of Object.values(rawValues))
    if (isRecord(counts)) for (const d of Object.keys(counts)) dates.add(d);
  const series = [...dates].sort();
  const values: Record<string, Record<string, number>> = {};
  for (const [segment, counts] of Object.entries(rawValues)) {
    const row: Record<string, number> = {};
    const source = isRecord(counts) ? counts : {};
    for (const date of series) row[date] = num(source[date]);
    values[segment] = row;
  }
  return { data: { series, values }, legend_size: num(body.legend_size ?? Object.keys(values).length) };
}

/** `/funnels/list`: saved funnels. */
export async function funnels(
  runner: RequestRunner,
  options: { signal?: AbortSignal } = {},
): Promise<FunnelSummary[]> {
  const body = await call(runner, 'funnels/list', {}, options.signal);
  if (!Array.isArray(body)) throw unexpected('funnels/list', 'not an array');
  return body
    .filter(isRecord)
    .map((row) => ({ funnel_id: num(row.funnel_id), name: String(row.name ?? '') }));
}

/** `/funnels`: steps and analysis per date bucket. `avg_time` may be null or a number on any step. */
export async function funnel(
  runner: RequestRunner,
  clamp: RangeClamp,
  params: FunnelParams,
): Promise<FunnelResult> {
  if (!Number.isInteger(params.funnelId) || params.funnelId < 1) {
    throw new InvalidArgumentError('funnelId must be a positive integer.');
  }
  if (params.length !== undefined && (!Number.isInteger(params.length) || params.length < 1)) {
    throw new InvalidArgumentError('length must be a positive integer.');
  }
  const range = clamp(params.fromDate, params.toDate, 'funnels');
  const body = await call(
    runner,
    'funnels',
    {
      funnel_id: String(params.funnelId),
      from_date: range.fromDate,
      to_date: range.toDate,
      length: str(params.length),
      length_unit: params.lengthUnit,
      interval: str(params.interval),
      unit: params.unit,
      on: params.on,
      where: params.where,
      limit: str(params.limit),
    },
    params.signal,
  );
  if (!isRecord(body) || !isRecord(body.data)) throw unexpected('funnels', 'no data object');
  const meta = isRecord(body.meta) && Array.isArray(body.meta.dates) ? body.meta.dates.map(String) : [];
  const data: FunnelResult['data'] = {};
  for (const [date, bucket] of Object.entries(body.data)) {
    if (!isRecord(bucket) || !Array.isArray(bucket.steps)) continue;
    const steps = bucket.steps.filter(isRecord).map((step) => ({
      ...step,
      count: num(step.count),
      avg_time: step.avg_time === null || step.avg_time === undefined ? null : num(step.avg_time),
      avg_time_from_start:
        step.avg_time_from_start === null || step.avg_time_from_start === undefined
          ? null
          : num(step.avg_time_from_start),
      step_conv_ratio: num(step.step_conv_ratio),
      overall_conv_ratio: num(step.overall_conv_ratio),
      goal: String(step.goal ?? step.event ?? ''),
      event: String(step.event ?? step.goal ?? ''),
    }));
    const a = isRecord(bucket.analysis) ? bucket.analysis : {};
    data[date] = {
      steps,
      analysis: {
        ...a,
        completion: num(a.completion),
        starting_amount: num(a.starting_amount),
        steps: num(a.steps ?? steps.length),
        worst: num(a.worst),
      },
    };
  }
  return { meta: { dates: meta.length > 0 ? meta : Object.keys(data).sort() }, data };
}

/** `/retention`: one row per cohort date. */
export async function retention(
  runner: RequestRunner,
  clamp: RangeClamp,
  params: RetentionParams,
): Promise<RetentionResult> {
  const type = params.retentionType ?? 'birth';
  if (type === 'birth') requireText(params.bornEvent, 'bornEvent (required for birth retention)');
  const range = clamp(params.fromDate, params.toDate, 'retention');
  const body = await call(
    runner,
    'retention',
    {
      from_date: range.fromDate,
      to_date: range.toDate,
      retention_type: params.retentionType,
      born_event: params.bornEvent,
      event: params.event,
      born_where: params.bornWhere,
      where: params.where,
      interval: str(params.interval),
      interval_count: str(params.intervalCount),
      unit: params.unit,
      unbounded_retention: str(params.unboundedRetention),
      on: params.on,
      limit: str(params.limit),
    },
    params.signal,
  );
  if (!isRecord(body)) throw unexpected('retention', 'not an object');
  const result: RetentionResult = {};
  for (const [date, row] of Object.entries(body)) {
    if (!isRecord(row)) continue;
    result[date] = {
      counts: Array.isArray(row.counts) ? row.counts.map(num) : [],
      first: num(row.first),
    };
  }
  return result;
}

/** `POST /cohorts/list`: saved cohorts. */
export async function cohorts(
  runner: RequestRunner,
  options: { signal?: AbortSignal } = {},
): Promise<Cohort[]> {
  const body = await call(runner, 'cohorts/list', {}, options.signal, 'POST');
  if (!Array.isArray(body)) throw unexpected('cohorts/list', 'not an array');
  return body.filter(isRecord).map((row) => ({
    ...row,
    id: num(row.id),
    name: String(row.name ?? ''),
    count: num(row.count),
    description: String(row.description ?? ''),
    created: String(row.created ?? ''),
    is_visible: typeof row.is_visible === 'boolean' ? row.is_visible : num(row.is_visible),
    project_id: num(row.project_id),
  }));
}
