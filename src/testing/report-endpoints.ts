import { funnelReport } from './funnel-report.js';
import type { Exchange } from './http-exchange.js';
import { DAY_MS, HOUR_MS } from './project-calendar.js';
import { BadRequest, optionalBool, optionalInt, optionalWhere, requireDateRange } from './request-params.js';
import { retentionReport } from './retention-report.js';
import type { ServerContext } from './server-context.js';

/** `/funnels/list`: the seeded funnels. */
export async function handleFunnelsList(ex: Exchange, ctx: ServerContext): Promise<void> {
  const list = ctx.data.population.funnels.map((f) => ({ funnel_id: f.funnelId, name: f.name }));
  await ex.sendJson(200, JSON.stringify(list));
}

const LENGTH_UNITS: Record<string, number> = { day: DAY_MS, hour: HOUR_MS, minute: 60_000, second: 1000 };

/** `/funnels`: `funnel_id`, `from_date`, `to_date`; optional `length` (≤ 90 days), `length_unit`, `interval`/`unit`, `where`. */
export async function handleFunnels(ex: Exchange, ctx: ServerContext): Promise<void> {
  const p = ex.params;
  if (!p.funnel_id) throw new BadRequest('Missing required parameter: funnel_id');
  const funnel = ctx.data.population.funnels.find((f) => String(f.funnelId) === p.funnel_id);
  if (!funnel) throw new BadRequest(`Funnel not found: funnel_id ${p.funnel_id}`);
  const { from, to } = requireDateRange(p.from_date, p.to_date);
  const lengthUnit = p.length_unit ?? 'day';
  const unitMs = LENGTH_UNITS[lengthUnit];
  if (unitMs === undefined)
    throw new BadRequest(`length_unit must be day, hour, minute or second: ${lengthUnit}`);
  const lengthMs = optionalInt(p.length, 'length', 14, Number.MAX_SAFE_INTEGER) * unitMs;
  if (lengthMs > 90 * DAY_MS) throw new BadRequest('length cannot exceed 90 days');
  const unit = p.unit ?? p.interval ?? 'day';
  if (unit !== 'day' && unit !== 'week' && unit !== 'month')
    throw new BadRequest(`unit must be day, week or month: ${unit}`);
  if (p.on) throw new BadRequest('on is not supported by the fake server for funnels');
  const report = funnelReport(
    ctx.data,
    { funnel, fromDay: from, toDay: to, lengthMs, unit, where: optionalWhere(p.where) },
    ctx.clock.now(),
  );
  await ex.sendJson(200, JSON.stringify(report));
}

/** `/retention`: birth retention with `unit` day or week. */
export async function handleRetention(ex: Exchange, ctx: ServerContext): Promise<void> {
  const p = ex.params;
  const { from, to } = requireDateRange(p.from_date, p.to_date);
  const type = p.retention_type ?? 'birth';
  if (type !== 'birth') throw new BadRequest(`retention_type ${type} is not supported by the fake server`);
  if (!p.born_event) throw new BadRequest('Missing required parameter: born_event');
  const unit = p.unit ?? 'day';
  if (unit !== 'day' && unit !== 'week')
    throw new BadRequest(`unit must be day or week in the fake server: ${unit}`);
  if (p.on) throw new BadRequest('on is not supported by the fake server for retention');
  const rows = retentionReport(
    ctx.data,
    {
      fromDay: from,
      toDay: to,
      bornEvent: p.born_event,
      event: p.event ? p.event : null,
      bornWhere: optionalWhere(p.born_where, 'born_where'),
      where: optionalWhere(p.where),
      unit,
      interval: optionalInt(p.interval, 'interval', 1, 366),
      intervalCount: optionalInt(p.interval_count, 'interval_count', 1, 366),
      unbounded: optionalBool(p.unbounded_retention, 'unbounded_retention', false),
    },
    ctx.clock.now(),
  );
  await ex.sendJson(200, JSON.stringify(rows));
}

/** `POST /cohorts/list`: the seeded cohorts. */
export async function handleCohortsList(ex: Exchange, ctx: ServerContext): Promise<void> {
  const list = ctx.data.population.cohorts.map((c) => ({
    id: c.id,
    name: c.name,
    count: c.members.length,
    description: c.description,
    created: c.created,
    is_visible: c.isVisible,
    project_id: Number(ctx.options.projectId),
  }));
  await ex.sendJson(200, JSON.stringify(list));
}
