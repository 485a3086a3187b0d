import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { AbortedError, ApiError } from '../errors.js';
import { networkError } from './mixpanel-errors.js';

/** One HTTP request as the client sends it. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  /** Includes `Authorization`; a transport must never log or echo headers. */
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Fail when no byte arrives for this long while waiting for headers or body data. */
  idleTimeoutMs: number;
  /** Path without query string, for error messages. */
  endpoint: string;
  /** Human description of the call, for error messages. */
  operation: string;
}

/** A response whose headers have arrived; the body is still streaming. */
export interface HttpResponse {
  status: number;
  /** A response header (lower-case name), or `undefined`. */
  header(name: string): string | undefined;
  /** True when the body was gzip-encoded on the wire. */
  gzip: boolean;
  /**
   * The decoded body (gunzipped when `Content-Encoding: gzip`), single use. Failures (reset,
   * premature close, truncated gzip, idle timeout) surface as a retryable `ApiError`; an abort as
   * `AbortedError`.
   */
  body: AsyncIterable<Uint8Array>;
  /** Drops the rest of the body and frees the connection. Idempotent. */
  close(): void;
}

/** Sends one request. Rejects with `ApiError` (retryable) on network failure, `AbortedError` on abort. */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

function idleError(request: HttpRequest): ApiError {
  return new ApiError(
    `Mixpanel ${request.operation} stalled at ${request.endpoint}: no data for ${formatMs(request.idleTimeoutMs)}.`,
    { endpoint: request.endpoint, retryable: true },
    { details: { idleTimeoutMs: request.idleTimeoutMs } },
  );
}

function formatMs(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function abortedError(request: HttpRequest): AbortedError {
  return new AbortedError(`Mixpanel ${request.operation}`, { cause: request.signal?.reason });
}

/**
 * Wraps a body iterator so the idle timer runs only while we wait for data (a slow consumer does
 * not count as a stalled server), and failures are mapped to library errors.
 */
async function* guardedBody(
  source: AsyncIterable<Uint8Array>,
  request: HttpRequest,
  control: { armIdle(): void; disarmIdle(): void; failure(): Error | undefined; close(): void },
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      control.armIdle();
      let step: IteratorResult<Uint8Array>;
      try {
        step = await iterator.next();
      } catch (error) {
        throw control.failure() ?? mapFailure(error, request);
      } finally {
        control.disarmIdle();
      }
      const failure = control.failure();
      if (failure !== undefined) throw failure;
      if (step.done) return;
      yield step.value;
    }
  } finally {
    control.close();
  }
}

function mapFailure(error: unknown, request: HttpRequest): Error {
  if (error instanceof AbortedError || error instanceof ApiError) return error;
  if (request.signal?.aborted) return abortedError(request);
  return networkError(error, request.endpoint, request.operation);
}

const GUNZIP_CHUNK_BYTES = 131_072;

/**
 * The default transport, on `node:http`/`node:https`: full control over gzip (decoded with a
 * streaming `zlib` gunzip that reports a truncated stream), over resets and premature closes, and
 * over the idle timeout.
 */
export const nodeHttpTransport: HttpTransport = (request) =>
  new Promise<HttpResponse>((resolve, reject) => {
    const lib = request.url.protocol === 'https:' ? https : http;
    let failure: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    let finished = false;
    let response: http.IncomingMessage | undefined;
    let decoded: Readable | undefined;

    const destroy = (error: Error) => {
      if (failure === undefined) failure = error;
      req.destroy(error);
      response?.destroy(error);
      decoded?.destroy(error);
    };
    const armIdle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => destroy(idleError(request)), request.idleTimeoutMs);
    };
    const disarmIdle = () => clearTimeout(timer);
    const onAbort = () => destroy(abortedError(request));
    const cleanup = () => {
      if (finished) return;
      finished = true;
      disarmIdle();
      request.signal?.removeEventListener('abort', onAbort);
    };

    if (request.signal?.aborted) {
      reject(abortedError(request));
      return;
    }
    const req = lib.request(request.url, { method: request.method, headers: request.headers });
    request.signal?.addEventListener('abort', onAbort, { once: true });
    armIdle();

    req.on('error', (error) => {
      if (!settled) {
        settled = true;
        cleanup();
        reject(failure ?? mapFailure(error, request));
      }
    });
    req.on('response', (res) => {
      response = res;
      disarmIdle();
      const encoding = (res.headers['content-encoding'] ?? '').toLowerCase().trim();
      const gzip = encoding === 'gzip' || encoding === 'x-gzip';
      let source: Readable = res;
      if (gzip) {
        // Larger output chunks than zlib's 16 KiB: an export body is hundreds of MB, and every chunk
        // costs a stream event and a line-splitting pass downstream.
        const gunzip = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
        pipeline(res, gunzip, () => {
          // Errors surface through the iteration of `gunzip`.
        });
        source = gunzip;
      }
      decoded = source;
      // Before the body is iterated, a failure must not become an unhandled 'error' event.
      res.on('error', () => {});
      source.on('error', () => {});
      settled = true;
      const close = () => {
        cleanup();
        if (!res.complete || !source.readableEnded) {
          req.destroy();
          res.destroy();
          source.destroy();
        }
      };
      resolve({
        status: res.statusCode ?? 0,
        header: (name) => {
          const value = res.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        gzip,
        body: guardedBody(source, request, { armIdle, disarmIdle, failure: () => failure, close }),
        close,
      });
    });
    req.end(request.body);
  });

/**
 * A transport over a WHATWG `fetch` (e.g. an injected test double). A conforming `fetch` already
 * decodes `Content-Encoding: gzip`, so the body is used as delivered and `gzip` reports only the
 * header. Truncation inside a gzip stream may go unnoticed when the fetch implementation decodes
 * leniently; prefer {@link nodeHttpTransport} for exports.
 */
export function fetchTransport(fetchImpl: typeof fetch): HttpTransport {
  return async (request) => {
    if (request.signal?.aborted) throw abortedError(request);
    const controller = new AbortController();
    let failure: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: Error) => {
      if (failure === undefined) failure = error;
      controller.abort(error);
    };
    const armIdle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(idleError(request)), request.idleTimeoutMs);
    };
    const disarmIdle = () => clearTimeout(timer);
    const onAbort = () => fail(abortedError(request));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    const cleanup = () => {
      if (finished) return;
      finished = true;
      disarmIdle();
      request.signal?.removeEventListener('abort', onAbort);
    };
    armIdle();
    let res: Response;
    try {
      res = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
      });
    } catch (error) {
      cleanup();
      throw failure ?? mapFailure(error, request);
    } finally {
      disarmIdle();
    }
    const stream = res.body;
    const close = () => {
      cleanup();
      if (!controller.signal.aborted) controller.abort();
    };
    const source: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        if (stream === null) return;
        const reader = stream.getReader();
        try {
          for (;;) {
            const step = await reader.read();
            if (step.done) return;
            yield step.value;
          }
        } finally {
          reader.releaseLock();
        }
      },
    };
    const encoding = (res.headers.get('content-encoding') ?? '').toLowerCase();
    return {
      status: res.status,
      header: (name) => res.headers.get(name) ?? undefined,
      gzip: encoding.includes('gzip'),
      body: guardedBody(source, request, { armIdle, disarmIdle, failure: () => failure, close }),
      close,
    };
  };
}

/** Reads a whole body as UTF-8 text, up to `maxBytes` (the rest is dropped). */
export async function readBodyText(
  response: HttpResponse,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<string> {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let bytes = 0;
  try {
    for await (const chunk of response.body) {
      const room = maxBytes - bytes;
      const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
      text += decoder.decode(part, { stream: true });
      bytes += part.byteLength;
      if (bytes >= maxBytes) break;
    }
  } finally {
    response.close();
  }
  return text + decoder.decode();
}
