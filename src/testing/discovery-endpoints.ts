import {
  eventVolumes,
  type MeasureType,
  rankByVolume,
  recentDays,
  topEvents,
  topProperties,
  topValues,
} from './event-aggregates.js';
import type { Exchange } from './http-exchange.js';
import { BadRequest, optionalInt, requireDateRange } from './request-params.js';
import type { ServerContext } from './server-context.js';

function requireType(value: string | undefined): MeasureType {
  if (value === undefined || value === '') throw new BadRequest('Missing required parameter: type');
  if (value !== 'general' && value !== 'unique' && value !== 'average') {
    throw new BadRequest(`type must be general, unique or average: ${value}`);
  }
  return value;
}

function requireText(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new BadRequest(`Missing required parameter: ${name}`);
  return value;
}

/** The window: `from_date`/`to_date` when given, else the last 31 days by the fake clock. */
function window(ex: Exchange, ctx: ServerContext, nowMs: number): { fromDay: number; toDay: number } {
  if (ex.params.from_date === undefined && ex.params.to_date === undefined)
    return recentDays(ctx.data, nowMs);
  const recent = recentDays(ctx.data, nowMs);
  const { from, to } = requireDateRange(
    ex.params.from_date ?? new Date(recent.fromDay * 86_400_000).toISOString().slice(0, 10),
    ex.params.to_date ?? new Date(recent.toDay * 86_400_000).toISOString().slice(0, 10),
  );
  return { fromDay: from, toDay: to };
}

/** `/events/names`: names seen in the window, by descending volume; `limit` defaults to 255, clamped at 5000. */
export async function handleEventNames(ex: Exchange, ctx: ServerContext): Promise<void> {
  const nowMs = ctx.clock.now();
  const type = requireType(ex.params.type);
  const limit = Math.min(5000, optionalInt(ex.params.limit, 'limit', 255, Number.MAX_SAFE_INTEGER));
  const { fromDay, toDay } = window(ex, ctx, nowMs);
  const names = rankByVolume(eventVolumes(ctx.data, fromDay, toDay, nowMs, type))
    .slice(0, limit)
    .map(([name]) => name);
  await ex.sendJson(200, JSON.stringify(names));
}

/** `/events/top`: the last 24 hours' events, with the change against the 24 hours before. */
export async function handleEventsTop(ex: Exchange, ctx: ServerContext): Promise<void> {
  const nowMs = ctx.clock.now();
  const type = requireType(ex.params.type);
  const limit = optionalInt(ex.params.limit, 'limit', 100, Number.MAX_SAFE_INTEGER);
  const events = topEvents(ctx.data, nowMs, type, limit);
  await ex.sendJson(200, JSON.stringify({ events, type }));
}

/** `/events/properties/top`: property names of one event with the number of events carrying each. */
export async function handlePropertiesTop(ex: Exchange, ctx: ServerContext): Promise<void> {
  const nowMs = ctx.clock.now();
  const event = requireText(ex.params.event, 'event');
  const limit = optionalInt(ex.params.limit, 'limit', 10, Number.MAX_SAFE_INTEGER);
  const { fromDay, toDay } = window(ex, ctx, nowMs);
  const result: Record<string, { count: number }> = {};
  for (const [name, count] of topProperties(ctx.data, event, fromDay, toDay, nowMs, limit))
    result[name] = { count };
  await ex.sendJson(200, JSON.stringify(result));
}

/** `/events/properties/values`: the most frequent values of one property of one event, as strings. */
export async function handlePropertyValues(ex: Exchange, ctx: ServerContext): Promise<void> {
  const nowMs = ctx.clock.now();
  const event = requireText(ex.params.event, 'event');
  const name = requireText(ex.params.name, 'name');
  const limit = optionalInt(ex.params.limit, 'limit', 255, Number.MAX_SAFE_INTEGER);
  const { fromDay, toDay } = window(ex, ctx, nowMs);
  await ex.sendJson(200, JSON.stringify(topValues(ctx.data, event, name, fromDay, toDay, nowMs, limit)));
}
