/**
 * Tiny node:http servers on 127.0.0.1:0 for the Mixpanel client tests, plus a client factory that
 * uses a ManualClock (waits take no real time) and its own rate-limiter registry.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { ManualClock } from '../../../src/mixpanel/clock.js';
import type { MixpanelWarning } from '../../../src/mixpanel/event-export.js';
import { MixpanelClient, type MixpanelClientOptions } from '../../../src/mixpanel/mixpanel-client.js';
import { RateLimiterRegistry } from '../../../src/mixpanel/rate-limiter.js';

/** What the server saw. */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  form: Record<string, string>;
}

/** Handler: gets the parsed request (body already read) and the raw response. */
export type Handler = (req: SeenRequest, res: http.ServerResponse, n: number) => unknown;

export interface LocalServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a server; `handler` receives each request with its 0-based index. */
export async function startServer(handler: Handler): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      form: Object.fromEntries(new URLSearchParams(body)),
    };
    const n = requests.length;
    requests.push(seen);
    try {
      await handler(seen, res, n);
    } catch {
      if (!res.headersSent) res.writeHead(599);
      res.destroy();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `parts` as separate chunks (each flushed), then ends. */
export async function writeChunks(res: http.ServerResponse, parts: (string | Buffer)[]): Promise<void> {
  for (const part of parts) {
    await new Promise<void>((resolve, reject) => res.write(part, (err) => (err ? reject(err) : resolve())));
    await new Promise((r) => setImmediate(r));
  }
  res.end();
}

/**
 * Gzip-compresses `pieces` as one stream, flushing after each piece, so every returned buffer is a
 * compressed chunk whose decoded text ends where the piece ended (mid-line if the piece does).
 */
export async function gzipFlushed(pieces: (string | Buffer)[]): Promise<Buffer[]> {
  const gz = zlib.createGzip();
  let current: Buffer[] = [];
  const out: Buffer[] = [];
  gz.on('data', (data: Buffer) => current.push(data));
  for (const piece of pieces) {
    gz.write(piece);
    await new Promise<void>((resolve) => gz.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    out.push(Buffer.concat(current));
    current = [];
  }
  const ended = new Promise<void>((resolve) => gz.on('end', () => resolve()));
  gz.end();
  await ended;
  out.push(Buffer.concat(current));
  return out.filter((b) => b.length > 0);
}

/** Cuts a buffer into pieces of `size` bytes. */
export function cut(buffer: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) out.push(buffer.subarray(i, i + size));
  return out;
}

/** A JSON line for an export body. */
export function eventLine(event: string, properties: Record<string, unknown>): string {
  return `${JSON.stringify({ event, properties })}\n`;
}

/** Test credentials: never real. */
export const TEST_AUTH = {
  kind: 'serviceAccount',
  username: 'sa.test',
  secret: 'very-secret-value-123',
  projectId: 1234567,
} as const;

export interface TestClient {
  client: MixpanelClient;
  clock: ManualClock;
  warnings: MixpanelWarning[];
}

/**
 * A client for `url` with a ManualClock (auto-advancing), deterministic jitter (random = 0.5), its
 * own limiter registry, and warnings collected.
 */
export function testClient(url: string, overrides: Partial<MixpanelClientOptions> = {}): TestClient {
  const clock = overrides.clock instanceof ManualClock ? overrides.clock : new ManualClock();
  const warnings: MixpanelWarning[] = [];
  const client = new MixpanelClient({
    auth: { ...TEST_AUTH },
    baseUrl: url,
    clock,
    retry: { random: () => 0.5 },
    rateLimits: { registry: new RateLimiterRegistry() },
    onWarning: (w) => warnings.push(w),
    ...overrides,
  });
  return { client, clock, warnings };
}

/** Collects an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Captures a rejection. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
