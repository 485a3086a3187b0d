import { MixpanelDataError } from '../errors.js';
import type { FakeFaultRule } from './faults.js';
import { validateFaultRule } from './faults.js';
import type { Exchange } from './http-exchange.js';
import { errorBodyText } from './json-text.js';
import { BadRequest } from './request-params.js';

/** The operations the control API exposes; the server implements them. */
export interface ControlTarget {
  requestsJson(): string;
  clearRequests(): void;
  inject(rule: FakeFaultRule): void;
  pendingFaultsJson(): string;
  now(): number;
  clockMode(): string;
  setNow(time: number | string): void;
  advance(ms: number): void;
  reset(): void;
  expectedJson(from: string, to: string): string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function parseJson(raw: string): unknown {
  try {
    return raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw new BadRequest('Control API bodies must be JSON');
  }
}

/**
 * `/__fake/*`: the out-of-process twin of the in-process API (section 8.6). No credentials, and
 * loopback clients only.
 *
 * - `GET /__fake/requests`, `DELETE /__fake/requests`
 * - `GET /__fake/faults`, `POST /__fake/faults` (one rule or an array of rules)
 * - `GET /__fake/clock`, `POST /__fake/clock` (`{"now": ms | iso}` or `{"advanceMs": n}`)
 * - `POST /__fake/reset`
 * - `GET /__fake/expected?from_date=&to_date=` (ground-truth counts for out-of-process tests)
 */
export async function handleControl(ex: Exchange, raw: string, target: ControlTarget): Promise<void> {
  if (!LOOPBACK.has(ex.req.socket.remoteAddress ?? '')) {
    await ex.sendJson(403, errorBodyText(ex.requestUrl, 'The control API answers only on loopback'));
    return;
  }
  const route = `${ex.req.method} ${ex.url.pathname.replace(/\/$/, '')}`;
  const clockJson = () =>
    JSON.stringify({
      now: target.now(),
      iso: new Date(target.now()).toISOString(),
      mode: target.clockMode(),
    });
  try {
    switch (route) {
      case 'GET /__fake/requests':
        return await ex.sendJson(200, target.requestsJson());
      case 'DELETE /__fake/requests':
        target.clearRequests();
        return await ex.sendJson(200, '{"cleared":true}');
      case 'GET /__fake/faults':
        return await ex.sendJson(200, target.pendingFaultsJson());
      case 'POST /__fake/faults': {
        const body = parseJson(raw);
        const rules = (Array.isArray(body) ? body : [body]).map((r) => validateFaultRule(r));
        for (const rule of rules) target.inject(rule);
        return await ex.sendJson(201, JSON.stringify({ queued: rules.length }));
      }
      case 'GET /__fake/clock':
        return await ex.sendJson(200, clockJson());
      case 'POST /__fake/clock': {
        const body = parseJson(raw) as { now?: unknown; advanceMs?: unknown };
        if (typeof body.now === 'number' || typeof body.now === 'string') target.setNow(body.now);
        else if (typeof body.advanceMs === 'number') target.advance(body.advanceMs);
        else throw new BadRequest('POST /__fake/clock needs {"now": ...} or {"advanceMs": ...}');
        return await ex.sendJson(200, clockJson());
      }
      case 'POST /__fake/reset':
        target.reset();
        return await ex.sendJson(200, '{"reset":true}');
      case 'GET /__fake/expected': {
        const from = ex.query.from_date;
        const to = ex.query.to_date;
        if (!from || !to) throw new BadRequest('from_date and to_date are required');
        return await ex.sendJson(200, target.expectedJson(from, to));
      }
      default:
        return await ex.sendJson(404, errorBodyText(ex.requestUrl, `Unknown control endpoint: ${route}`));
    }
  } catch (error) {
    // Bad rules and bad clock values are the caller's mistake: answer 400, not 500.
    if (error instanceof MixpanelDataError) throw new BadRequest(error.message);
    throw error;
  }
}
