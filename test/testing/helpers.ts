import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as netConnect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { parse } from 'lossless-json';
import type { FakeMixpanel } from '../../src/testing/index.js';

/** Basic credentials of the fake's service account, base64-encoded. */
export function saAuth(fake: FakeMixpanel): string {
  const { username, secret } = fake.serviceAccount;
  return `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
}

/** A raw HTTP exchange: status, headers, each received body chunk, the decoded body. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  chunks: Buffer[];
  raw: Buffer;
  body: Buffer;
  text: string;
}

/** Options of {@link rawRequest}. */
export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Abort the request after this many ms (for stalls). */
  timeoutMs?: number;
}

/** One request over node:http, keeping every received chunk (no automatic decompression). */
export function rawRequest(url: string, options: RawOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET', chunks })));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            chunks,
            raw,
            body,
            text: body.toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () =>
        req.destroy(Object.assign(new Error('idle timeout'), { code: 'ETIMEDOUT' })),
      );
    }
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A URL on the fake with query parameters (project_id added unless given). */
export function apiUrl(fake: FakeMixpanel, path: string, params: Record<string, string> = {}): string {
  const url = new URL(path, fake.url);
  const all = { project_id: fake.projectId, ...params };
  for (const [key, value] of Object.entries(all)) if (value !== '') url.searchParams.set(key, value);
  return url.toString();
}

/** GET an export with the service account. */
export function exportRaw(
  fake: FakeMixpanel,
  params: Record<string, string>,
  options: { gzip?: boolean; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return rawRequest(apiUrl(fake, '/api/2.0/export', params), {
    headers: {
      authorization: saAuth(fake),
      'accept-encoding': options.gzip ? 'gzip' : 'identity',
      ...options.headers,
    },
    timeoutMs: options.timeoutMs,
  });
}

/** GET a Query API endpoint with the service account and parse the JSON answer. */
export async function query<T = unknown>(
  fake: FakeMixpanel,
  endpoint: string,
  params: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: IncomingHttpHeaders }> {
  const res = await rawRequest(apiUrl(fake, `/api/query/${endpoint}`, params), {
    headers: { authorization: saAuth(fake) },
  });
  return { status: res.status, body: JSON.parse(res.text) as T, headers: res.headers };
}

/** POST Engage with a form body. */
export async function engage(
  fake: FakeMixpanel,
  fields: Record<string, string>,
  options: { encoding?: 'form' | 'json' | 'query'; path?: string } = {},
): Promise<{ status: number; body: EngagePage & { error?: string } }> {
  const encoding = options.encoding ?? 'form';
  const path = options.path ?? '/api/query/engage';
  const url = encoding === 'query' ? apiUrl(fake, path, fields) : apiUrl(fake, path);
  const headers: Record<string, string> = { authorization: saAuth(fake) };
  let body: string | undefined;
  if (encoding === 'form') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(fields).toString();
  } else if (encoding === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(fields);
  }
  const res = await rawRequest(url, { method: 'POST', headers, body });
  return { status: res.status, body: parseLossless(res.text) as EngagePage & { error?: string } };
}

/** An Engage page as the tests read it. */
export interface EngagePage {
  page: number;
  page_size: number;
  session_id: string;
  status: string;
  total?: number;
  results: { $distinct_id: string; $properties: Record<string, unknown> }[];
}

/** JSON.parse that keeps integers beyond 2^53 as bigint. */
export function parseLossless(text: string): unknown {
  return parse(text, null, (value: string) => {
    const n = Number(value);
    return /^-?\d+$/.test(value) && !Number.isSafeInteger(n) ? BigInt(value) : n;
  });
}

/** An exported event line, parsed. */
export interface ExportLine {
  event: string;
  properties: Record<string, unknown> & {
    time: number;
    distinct_id?: string;
    $insert_id?: string;
    mp_processing_time_ms: number;
  };
}

/** Splits an export body on `\n` only and parses each non-empty line losslessly. */
export function parseLines(text: string): ExportLine[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => parseLossless(line) as ExportLine);
}

/** Section 7.1: keep the copy with the largest mp_processing_time_ms per (name, distinct_id, time, $insert_id). */
export function dedupe(lines: readonly ExportLine[]): ExportLine[] {
  const kept = new Map<string, ExportLine>();
  const withoutId: ExportLine[] = [];
  for (const line of lines) {
    const p = line.properties;
    if (p.$insert_id === undefined) {
      withoutId.push(line);
      continue;
    }
    const key = JSON.stringify([line.event, p.distinct_id ?? null, p.time, p.$insert_id]);
    const previous = kept.get(key);
    if (!previous || p.mp_processing_time_ms >= previous.properties.mp_processing_time_ms)
      kept.set(key, line);
  }
  return [...kept.values(), ...withoutId];
}

/** The UTC day of an exported `time` in seconds. */
export function dayOf(timeSeconds: number): string {
  return new Date(timeSeconds * 1000).toISOString().slice(0, 10);
}

/** What a raw TCP client saw: every byte, and how the connection ended. */
export interface SocketOutcome {
  bytes: Buffer;
  ending: 'end' | 'error' | 'timeout';
  errorCode?: string;
}

/**
 * Sends one HTTP/1.1 request over a bare TCP socket and records how the connection ends, so a test
 * can tell a reset (ECONNRESET) from a clean close without the final chunk.
 */
export function socketRequest(
  fake: FakeMixpanel,
  pathAndQuery: string,
  headers: Record<string, string>,
  timeoutMs = 5000,
): Promise<SocketOutcome> {
  const { hostname, port } = new URL(fake.url);
  return new Promise((resolve) => {
    const socket = netConnect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (ending: SocketOutcome['ending'], errorCode?: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), ending, ...(errorCode ? { errorCode } : {}) });
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => done('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => done('error', error.code));
    const lines = [`GET ${pathAndQuery} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
    for (const [key, value] of Object.entries(headers)) lines.push(`${key}: ${value}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** A raw HTTP/1.1 response split into its header block and its chunked-transfer frames. */
export interface ChunkedResponse {
  head: string;
  chunks: Buffer[];
  /** Whether the terminating zero-length chunk arrived. */
  complete: boolean;
}

/** Parses chunked transfer framing, so tests see the server's chunk boundaries despite TCP coalescing. */
export function parseChunked(bytes: Buffer): ChunkedResponse {
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, headEnd).toString('latin1');
  const chunks: Buffer[] = [];
  let at = headEnd + 4;
  while (at < bytes.length) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return { head, chunks, complete: true };
    const start = lineEnd + 2;
    if (start + size > bytes.length) {
      chunks.push(bytes.subarray(start));
      break;
    }
    chunks.push(bytes.subarray(start, start + size));
    at = start + size + 2;
  }
  return { head, chunks, complete: false };
}
