import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate } from './auth.js';
import { StreamStopped } from './body-writer.js';
import { handleControl } from './control-api.js';
import { EngageSessions } from './engage-sessions.js';
import { ExportCache } from './export-cache.js';
import { FakeClock } from './fake-clock.js';
import { FakeDataSet } from './fake-data.js';
import { FakeExpected } from './fake-expected.js';
import { type FakeMixpanelOptions, type ResolvedFakeOptions, resolveFakeOptions } from './fake-options.js';
import { sendCanned, sendFaultResponse } from './fault-responses.js';
import { type FakeFaultRule, type FakeRequestInfo, FaultQueue } from './faults.js';
import { Exchange, type ParsedBody, readBody } from './http-exchange.js';
import { resolveRoute } from './query-endpoints.js';
import { DEFAULT_QUOTAS, RateLimiter } from './rate-limits.js';
import { type FakeRequestFamily, type FakeRequestRecord, RequestLog, redactFields } from './request-log.js';
import { BadRequest } from './request-params.js';
import type { ServerContext } from './server-context.js';

/** Service account credentials of the fake project. */
export interface FakeServiceAccount {
  readonly username: string;
  readonly secret: string;
  readonly projectId: string;
}

/** Environment variables that point the client (or a spawned `mp`) at the fake. */
export interface FakeMixpanelEnv {
  MP_API_BASE_URL: string;
  MP_USERNAME: string;
  MP_SECRET: string;
  MP_PROJECT_ID: string;
  MP_REGION: 'us';
}

/** A running fake Mixpanel (section 8.7). */
export interface FakeMixpanel extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly serviceAccount: FakeServiceAccount;
  /** The legacy project secret (Basic user name with an empty password). */
  readonly projectSecret: string;
  readonly projectId: string;
  /** Ground truth about the seeded data as of the fake clock. */
  readonly expected: FakeExpected;
  /** Every request so far, in arrival order (a frozen snapshot). */
  readonly requests: readonly FakeRequestRecord[];
  /** `MP_API_BASE_URL`, `MP_USERNAME`, `MP_SECRET`, `MP_PROJECT_ID`, `MP_REGION`. */
  env(): FakeMixpanelEnv;
  /** Queues a fault. */
  inject(rule: FakeFaultRule): void;
  /** Forgets the request log. */
  clearRequests(): void;
  /** The fake clock's reading, epoch ms. */
  now(): number;
  /** Moves the fake clock to a time (epoch ms, ISO text or Date). */
  setNow(time: number | string | Date): void;
  /** Moves the fake clock by `ms`. */
  advance(ms: number): void;
  /** Clears requests, faults, sessions and rate-limit history, and puts the clock back to its start. */
  reset(): void;
  /** Stops the server, dropping open connections (stalled streams included). */
  close(): Promise<void>;
}

class FakeMixpanelServer implements FakeMixpanel {
  readonly expected: FakeExpected;
  private readonly log = new RequestLog();
  private readonly faults = new FaultQueue();
  private readonly context: ServerContext;
  private readonly clock: FakeClock;
  private baseUrl = '';
  private closing: Promise<void> | null = null;

  constructor(
    private readonly options: ResolvedFakeOptions,
    private readonly server: Server,
  ) {
    const data = new FakeDataSet(options);
    this.clock = new FakeClock(options.nowMs, options.clock);
    const limiter = new RateLimiter(
      { ...DEFAULT_QUOTAS, ...options.quotas },
      options.rateLimits === 'enforce',
      options.projectId,
    );
    const sessions = new EngageSessions(options.seedHash, options.sessionTtlMs);
    const exportCache = options.exportCache === 'off' ? null : new ExportCache(data, options.gzipLevel);
    this.context = { options, data, clock: this.clock, limiter, sessions, exportCache };
    this.expected = new FakeExpected(data, this.clock);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(() => res.destroy());
    });
  }

  /** Compresses every export day up front (option `exportCache: 'precompute'`). */
  async precompute(): Promise<void> {
    if (this.options.exportCache === 'precompute')
      await this.context.exportCache?.precompute(() => this.clock.now());
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${host}:${address.port}`;
  }

  get url(): string {
    return this.baseUrl;
  }

  get serviceAccount(): FakeServiceAccount {
    return {
      username: this.options.username,
      secret: this.options.secret,
      projectId: this.options.projectId,
    };
  }

  get projectSecret(): string {
    return this.options.projectSecret;
  }

  get projectId(): string {
    return this.options.projectId;
  }

  get requests(): readonly FakeRequestRecord[] {
    return this.log.snapshot();
  }

  env(): FakeMixpanelEnv {
    return {
      MP_API_BASE_URL: this.baseUrl,
      MP_USERNAME: this.options.username,
      MP_SECRET: this.options.secret,
      MP_PROJECT_ID: this.options.projectId,
      MP_REGION: 'us',
    };
  }

  inject(rule: FakeFaultRule): void {
    this.faults.add(rule);
  }

  clearRequests(): void {
    this.log.clear();
  }

  now(): number {
    return this.clock.now();
  }

  setNow(time: number | string | Date): void {
    this.clock.setNow(time);
  }

  advance(ms: number): void {
    this.clock.advance(ms);
  }

  reset(): void {
    this.log.clear();
    this.faults.clear();
    this.context.sessions.clear();
    this.context.limiter.reset();
    this.clock.setNow(this.options.nowMs);
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Stalled and keep-alive connections would hold close() open forever.
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const route = resolveRoute(path);
    const family: FakeRequestFamily =
      path === '/__fake' || path.startsWith('/__fake/') ? 'control' : (route?.family ?? 'unknown');
    const query = Object.fromEntries(url.searchParams);
    let body: ParsedBody = { fields: null, encoding: 'none', raw: '' };
    let bodyError: string | null = null;
    try {
      body = await readBody(req);
    } catch (error) {
      bodyError = error instanceof Error ? error.message : 'Unreadable request body';
    }
    const auth = authenticate(req.headers.authorization, query, this.options);
    const record = this.log.open({
      receivedAt: this.clock.now(),
      method,
      path,
      family,
      query: redactFields(query),
      body: body.fields === null ? null : redactFields(body.fields),
      bodyEncoding: body.encoding,
      principal: family === 'control' ? { kind: 'none' } : auth.principal,
      acceptEncoding: req.headers['accept-encoding'] ?? null,
      status: 0,
      gzip: false,
      bytesSent: 0,
      linesSent: 0,
      countedAs: null,
      fault: null,
      durationMs: 0,
    });
    const info: FakeRequestInfo = {
      method,
      path,
      family,
      endpoint: route?.endpoint ?? null,
      query,
      body: body.fields,
    };
    const fault = this.faults.take(info);
    if (fault !== null) record.fault = fault.kind;
    const ex = new Exchange(req, res, url, query, body.fields, record, fault, this.options, startedAt);
    try {
      if (bodyError !== null) throw new BadRequest(bodyError);
      if (family === 'control') {
        await handleControl(ex, body.raw, this.controlTarget());
        return;
      }
      if (fault !== null && (await sendFaultResponse(ex, fault, this.context))) return;
      if (route === null) {
        await ex.sendError(404, `Unknown path: ${path}`);
        return;
      }
      if (!route.methods.includes(method)) {
        await ex.sendError(405, `Method ${method} is not allowed on ${path}`);
        return;
      }
      if (!auth.ok) {
        await ex.sendError(auth.status, auth.message);
        return;
      }
      // Engage pages that carry a session_id are free; page 0 draws on the Query API bucket.
      const bucket =
        route.family === 'export'
          ? 'export'
          : route.family === 'engage' && ex.param('session_id')
            ? null
            : 'query';
      if (bucket !== null) {
        const decision = this.context.limiter.acquire(bucket, this.clock.now(), ex.requestUrl);
        if (!decision.ok) {
          await sendCanned(ex, decision.response);
          return;
        }
        record.countedAs = bucket;
        ex.onDone.push(decision.release);
      }
      await route.handler(ex, this.context);
    } catch (error) {
      if (error instanceof StreamStopped) return;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BadRequest) await ex.sendError(error.status, error.message);
      else
        await ex.sendError(
          500,
          `Internal error in the fake server: ${error instanceof Error ? error.message : String(error)}`,
        );
    }
  }

  private controlTarget() {
    return {
      requestsJson: () => JSON.stringify(this.log.snapshot()),
      clearRequests: () => this.clearRequests(),
      inject: (rule: FakeFaultRule) => this.inject(rule),
      pendingFaultsJson: () =>
        JSON.stringify(this.faults.pending(), (_key, value: unknown) =>
          value instanceof RegExp ? String(value) : typeof value === 'function' ? '[predicate]' : value,
        ),
      now: () => this.clock.now(),
      clockMode: () => this.clock.mode,
      setNow: (time: number | string) => this.setNow(time),
      advance: (ms: number) => this.advance(ms),
      reset: () => this.reset(),
      expectedJson: (from: string, to: string) =>
        JSON.stringify({
          from_date: from,
          to_date: to,
          rawEventCount: this.expected.rawEventCount(from, to),
          dedupedEventCount: this.expected.dedupedEventCount(from, to),
          countsByEventAndDay: this.expected.countsByEventAndDay(from, to),
          profileCount: this.expected.profileCount(),
        }),
    };
  }
}

/**
 * Starts a fake Mixpanel on loopback (port 0 by default): one seeded data set behind export,
 * Engage and the Query API, with faults, rate limits, a request log and a fake clock.
 */
export async function startFakeMixpanel(options: FakeMixpanelOptions = {}): Promise<FakeMixpanel> {
  const resolved = resolveFakeOptions(options);
  const server = createServer({ keepAlive: true });
  const fake = new FakeMixpanelServer(resolved, server);
  await fake.precompute();
  await fake.listen();
  return fake;
}
