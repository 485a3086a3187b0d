import { type BodyWriter, GZIP_MIN_BYTES } from './body-writer.js';
import { gzipFrame } from './export-cache.js';
import { eventLookup } from './fake-data.js';
import type { FakeEventHead } from './fake-events.js';
import { EXPORT_CONTENT_TYPE, type Exchange } from './http-exchange.js';
import { formatDayKey } from './project-calendar.js';
import {
  BadRequest,
  jsonStringArray,
  optionalBool,
  optionalInt,
  optionalWhere,
  requireDateRange,
} from './request-params.js';
import type { ServerContext } from './server-context.js';
import type { WherePredicate } from './where-expression.js';

/** Export parameters after validation. */
export interface ExportRequest {
  readonly fromDay: number;
  readonly toDay: number;
  readonly events: ReadonlySet<string> | null;
  readonly where: WherePredicate | null;
  readonly limit: number | null;
  readonly timeInMs: boolean;
}

/** The 400 checks of section 3.5, all real (none of them is an injected fault). */
export function parseExportRequest(query: Readonly<Record<string, string>>, todayDay: number): ExportRequest {
  const { from, to } = requireDateRange(query.from_date, query.to_date);
  if (to > todayDay) {
    throw new BadRequest(
      `to_date cannot be later than today: to_date is ${formatDayKey(to)}, today is ${formatDayKey(todayDay)}`,
    );
  }
  const limit = query.limit === undefined ? null : optionalInt(query.limit, 'limit', 0, 100_000);
  const events = query.event === undefined ? null : new Set(jsonStringArray(query.event, 'event'));
  return {
    fromDay: from,
    toDay: to,
    events,
    where: optionalWhere(query.where),
    limit,
    timeInMs: optionalBool(query.time_in_ms, 'time_in_ms', false),
  };
}

/**
 * `GET /api/2.0/export`: JSON Lines of the visible raw events (duplicates included), day by day in
 * each day's fixed shuffled order. Lines are encoded into the body writer's buffer, which cuts the
 * bytes into `chunkBytes` chunks.
 */
export async function handleExport(ex: Exchange, ctx: ServerContext): Promise<void> {
  const nowMs = ctx.clock.now();
  const request = parseExportRequest(ex.query, ctx.data.calendar.today(nowMs));
  const fault = ex.fault;
  const stopAfter = fault?.kind === 'terminatedEarly' ? (fault.afterLines ?? 0) : Number.POSITIVE_INFINITY;
  const garbageAt = fault?.kind === 'garbageLine' ? (fault.atLine ?? 1) : 0;
  const garbageMode = fault?.kind === 'garbageLine' ? (fault.mode ?? 'notJson') : 'notJson';
  const limit = request.limit ?? Number.POSITIVE_INFINITY;
  const generator = ctx.data.events;
  const writer = ex.stream(200, { 'Content-Type': EXPORT_CONTENT_TYPE }, true);
  if (await sentFromCache(ex, ctx, request, writer, nowMs)) return;
  let lines = 0;
  let garbageWritten = false;
  const garbage = (line: string): string => {
    garbageWritten = true;
    if (garbageMode === 'split') {
      let cut = Math.floor(line.length / 2);
      // Never split a surrogate pair: the two halves should each be valid UTF-8, just not JSON.
      if (/[\udc00-\udfff]/.test(line.charAt(cut))) cut++;
      return `${line.slice(0, cut)}\n${line.slice(cut)}`;
    }
    return `<html><body>502 Bad Gateway</body></html>\n${line}`;
  };
  const names = request.events;
  // Cheap head-only checks first: hidden or unwanted events never get their properties generated.
  const accept = (head: FakeEventHead) =>
    head.processingTimeMs <= nowMs && (names === null || names.has(head.event));
  outer: for (const day of ctx.data.daysWithEvents(request.fromDay, request.toDay)) {
    const count = generator.dayCount(day);
    for (let position = 0; position < count; position++) {
      const slot = generator.slotAt(day, position);
      if (request.where !== null) {
        const head = generator.head(day, slot);
        if (!accept(head) || !request.where(eventLookup(generator.at(day, slot)))) continue;
      }
      const line = generator.line(day, slot, request.timeInMs, accept);
      if (line === null) continue;
      if (lines >= stopAfter || lines >= limit) break outer;
      lines++;
      if (writer.append(lines === garbageAt ? garbage(line) : line)) await writer.flush();
    }
  }
  if (garbageAt > 0 && !garbageWritten) writer.append('{"event": "Purchase", "properties": {"time": 17\n');
  if (Number.isFinite(stopAfter)) writer.append('terminated early\n');
  await writer.end();
}

/**
 * Serves the export from the day cache (option `exportCache`) when the request is one it holds:
 * default filters (no `event`, `where` or `limit`), gzip accepted, and no injected fault, whose
 * bytes and lines must come from the generator. Returns false to let the generator serve it.
 */
async function sentFromCache(
  ex: Exchange,
  ctx: ServerContext,
  request: ExportRequest,
  writer: BodyWriter,
  nowMs: number,
): Promise<boolean> {
  const cache = ctx.exportCache;
  if (
    cache === null ||
    ex.fault !== null ||
    request.events !== null ||
    request.where !== null ||
    request.limit !== null ||
    !writer.acceptsPrecompressed
  ) {
    return false;
  }
  const segments = [];
  for (const day of ctx.data.daysWithEvents(request.fromDay, request.toDay)) {
    segments.push(await cache.segment(day, request.timeInMs, nowMs));
  }
  // Small bodies go out uncompressed, which only the generator does.
  if (segments.reduce((sum, s) => sum + s.bytes, 0) <= GZIP_MIN_BYTES) return false;
  const lines = segments.reduce((sum, s) => sum + s.lines, 0);
  await writer.sendGzipped(gzipFrame(segments, ctx.options.gzipLevel), lines);
  return true;
}
