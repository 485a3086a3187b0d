import { InvalidArgumentError } from '../errors.js';
import type { FakeRequestFamily } from './request-log.js';

/** A 429 in one of the shapes of section 6. */
export interface FakeRateLimitFault {
  kind: 'rateLimit';
  /** `quota`, `concurrency`, `loadShed` (Query API forms) or `export`. */
  variant: 'quota' | 'concurrency' | 'loadShed' | 'export';
  /** Export variant only: JSON (default) or plain-text body. */
  body?: 'json' | 'text';
  /** Export variant only: add `Retry-After` with this many seconds. */
  retryAfter?: number;
}

/** Any status with a given body, content type and headers. */
export interface FakeStatusFault {
  kind: 'status';
  status: number;
  /** A string is sent as is; an object is sent as JSON. Default: a JSON error naming the status. */
  body?: string | Record<string, unknown>;
  /** Default: `application/json` for objects, `text/plain; charset=utf-8` for strings. */
  contentType?: string;
  headers?: Record<string, string>;
}

/** An authentication or permission failure: 401 (default), 400 "Unable to authenticate request", 402, 403. */
export interface FakeAuthFault {
  kind: 'auth';
  status?: 400 | 401 | 402 | 403;
}

/** `200`, `afterLines` valid lines, then the line `terminated early`. Export only. */
export interface FakeTerminatedEarlyFault {
  kind: 'terminatedEarly';
  afterLines?: number;
}

/** `200`, then a TCP reset after `afterBytes` body bytes (uncompressed count). */
export interface FakeResetFault {
  kind: 'reset';
  afterBytes?: number;
}

/** `200`, then the connection closes after `afterBytes` body bytes without the final chunk. */
export interface FakeCutFault {
  kind: 'cut';
  afterBytes?: number;
}

/** At 1-based line `atLine`, a line that is not JSON, or a record split over two lines. Export only. */
export interface FakeGarbageLineFault {
  kind: 'garbageLine';
  atLine?: number;
  mode?: 'notJson' | 'split';
}

/** Delays: before the status line, between chunks, or a stall after `afterBytes` (default 0). */
export interface FakeSlowFault {
  kind: 'slow';
  headerDelayMs?: number;
  chunkDelayMs?: number;
  stall?: boolean;
  afterBytes?: number;
}

/** The next Engage page that carries a `session_id` gets a 400 about the session. */
export interface FakeSessionExpiredFault {
  kind: 'sessionExpired';
}

/** Every injectable fault (section 8.5). */
export type FakeFault =
  | FakeRateLimitFault
  | FakeStatusFault
  | FakeAuthFault
  | FakeTerminatedEarlyFault
  | FakeResetFault
  | FakeCutFault
  | FakeGarbageLineFault
  | FakeSlowFault
  | FakeSessionExpiredFault;

/** What a fault rule's predicate sees of a request. */
export interface FakeRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly family: FakeRequestFamily;
  /** Endpoint name without prefix, e.g. `export`, `engage`, `segmentation`, `events/names`. */
  readonly endpoint: string | null;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, string>> | null;
}

/** Which requests a rule applies to. All given conditions must hold. */
export interface FakeFaultMatch {
  family?: FakeRequestFamily | readonly FakeRequestFamily[];
  /** Exact path (e.g. `/api/query/engage`) or a RegExp tested against the path. */
  path?: string | RegExp;
  method?: string;
  predicate?: (request: FakeRequestInfo) => boolean;
}

/** A queued fault: hits matching occurrences `nth` … `nth + times - 1` (1-based, counted from injection). */
export interface FakeFaultRule {
  match?: FakeFaultMatch;
  fault: FakeFault;
  /** Which matching occurrence to hit first. Default 1, the next one. */
  nth?: number;
  /** How many consecutive occurrences to hit. Default 1. */
  times?: number;
}

interface QueuedRule {
  readonly rule: FakeFaultRule;
  readonly first: number;
  readonly last: number;
  seen: number;
}

function nonNegative(value: unknown, name: string): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
    throw new InvalidArgumentError(`Fault field ${name} must be a non-negative integer`);
  }
}

/** Checks a rule's shape (also used for rules posted to `/__fake/faults` as JSON). */
export function validateFaultRule(input: unknown): FakeFaultRule {
  if (typeof input !== 'object' || input === null)
    throw new InvalidArgumentError('A fault rule must be an object');
  const rule = input as FakeFaultRule;
  const fault = rule.fault as FakeFault | undefined;
  if (typeof fault !== 'object' || fault === null)
    throw new InvalidArgumentError('A fault rule needs a fault');
  nonNegative(rule.times, 'times');
  if (rule.nth !== undefined && !(Number.isInteger(rule.nth) && rule.nth >= 1)) {
    throw new InvalidArgumentError('Fault field nth must be an integer >= 1');
  }
  switch (fault.kind) {
    case 'rateLimit':
      if (!['quota', 'concurrency', 'loadShed', 'export'].includes(fault.variant)) {
        throw new InvalidArgumentError(`Unknown rateLimit variant: ${String(fault.variant)}`);
      }
      nonNegative(fault.retryAfter, 'retryAfter');
      break;
    case 'status':
      if (!(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)) {
        throw new InvalidArgumentError('A status fault needs a status between 200 and 599');
      }
      break;
    case 'auth':
      if (fault.status !== undefined && ![400, 401, 402, 403].includes(fault.status)) {
        throw new InvalidArgumentError('An auth fault status must be 400, 401, 402 or 403');
      }
      break;
    case 'terminatedEarly':
      nonNegative(fault.afterLines, 'afterLines');
      break;
    case 'reset':
    case 'cut':
      nonNegative(fault.afterBytes, 'afterBytes');
      break;
    case 'garbageLine':
      if (fault.atLine !== undefined && !(Number.isInteger(fault.atLine) && fault.atLine >= 1)) {
        throw new InvalidArgumentError('Fault field atLine must be an integer >= 1');
      }
      if (fault.mode !== undefined && fault.mode !== 'notJson' && fault.mode !== 'split') {
        throw new InvalidArgumentError('garbageLine mode must be notJson or split');
      }
      break;
    case 'slow':
      nonNegative(fault.headerDelayMs, 'headerDelayMs');
      nonNegative(fault.chunkDelayMs, 'chunkDelayMs');
      nonNegative(fault.afterBytes, 'afterBytes');
      break;
    case 'sessionExpired':
      break;
    default:
      throw new InvalidArgumentError(`Unknown fault kind: ${String((fault as { kind: unknown }).kind)}`);
  }
  return rule;
}

function applicable(fault: FakeFault, request: FakeRequestInfo): boolean {
  switch (fault.kind) {
    case 'terminatedEarly':
    case 'garbageLine':
      return request.family === 'export';
    case 'sessionExpired':
      return request.family === 'engage' && Boolean(request.query.session_id || request.body?.session_id);
    default:
      return request.family !== 'control';
  }
}

function matches(match: FakeFaultMatch | undefined, request: FakeRequestInfo): boolean {
  if (!match) return true;
  if (match.family !== undefined) {
    const families: readonly FakeRequestFamily[] =
      typeof match.family === 'string' ? [match.family] : match.family;
    if (!families.includes(request.family)) return false;
  }
  if (match.path !== undefined) {
    if (typeof match.path === 'string' ? match.path !== request.path : !match.path.test(request.path))
      return false;
  }
  if (match.method !== undefined && match.method.toUpperCase() !== request.method) return false;
  return match.predicate ? match.predicate(request) : true;
}

/**
 * The queue of injected faults. Every rule counts the requests it matches; the first rule (in
 * injection order) whose window covers its current count applies. Spent rules drop out.
 */
export class FaultQueue {
  private rules: QueuedRule[] = [];

  /** Queues a rule. */
  add(rule: FakeFaultRule): void {
    validateFaultRule(rule);
    const first = rule.nth ?? 1;
    this.rules.push({ rule, first, last: first + (rule.times ?? 1) - 1, seen: 0 });
  }

  /** The fault for this request, if any rule hits it. */
  take(request: FakeRequestInfo): FakeFault | null {
    if (request.family === 'control') return null;
    let hit: FakeFault | null = null;
    for (const queued of this.rules) {
      if (!applicable(queued.rule.fault, request) || !matches(queued.rule.match, request)) continue;
      queued.seen++;
      if (hit === null && queued.seen >= queued.first && queued.seen <= queued.last) hit = queued.rule.fault;
    }
    this.rules = this.rules.filter((q) => q.seen < q.last);
    return hit;
  }

  /** Rules still waiting to fire, for `GET /__fake/faults`. */
  pending(): FakeFaultRule[] {
    return this.rules.map((q) => q.rule);
  }

  /** Drops every queued rule. */
  clear(): void {
    this.rules = [];
  }
}
