import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyWriter } from './body-writer.js';
import type { FakeFault } from './faults.js';
import { errorBodyText } from './json-text.js';
import type { FakeRequestRecord } from './request-log.js';

/** The parsed body of a request. */
export interface ParsedBody {
  readonly fields: Record<string, string> | null;
  readonly encoding: 'form' | 'json' | 'none';
  /** The raw text, for the control API's JSON bodies. */
  readonly raw: string;
}

/** A request body that could not be parsed. */
export class BodyParseError extends Error {}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Content type of every non-export response. */
export const JSON_CONTENT_TYPE = 'application/json';
/** Content type of export responses. */
export const EXPORT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** Reads and parses a form, JSON or empty body. */
export async function readBody(req: IncomingMessage): Promise<ParsedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyParseError('Request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim().length === 0) return { fields: null, encoding: 'none', raw: text };
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BodyParseError('Request body is not valid JSON');
    }
    // Only an object has fields; other JSON (the control API takes arrays) is kept as raw text.
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { fields: null, encoding: 'json', raw: text };
    }
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      // Engage fields are strings on the wire; a JSON body may carry them as native values.
      fields[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    return { fields, encoding: 'json', raw: text };
  }
  return { fields: Object.fromEntries(new URLSearchParams(text)), encoding: 'form', raw: text };
}

/** Settings a response needs from the server. */
export interface ResponseSettings {
  readonly chunkBytes: number;
  readonly gzipLevel: number;
}

/**
 * One request and its response: parsed parameters, the log record, the chosen fault, and helpers
 * that send JSON, errors or a streamed body through a {@link BodyWriter}.
 */
export class Exchange {
  /** Set by the server once the rate limiter has admitted the request; run when the response ends. */
  onDone: (() => void)[] = [];
  private finished = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly url: URL,
    readonly query: Record<string, string>,
    readonly body: Record<string, string> | null,
    readonly record: FakeRequestRecord,
    readonly fault: FakeFault | null,
    private readonly settings: ResponseSettings,
    private readonly startedAt: number,
  ) {
    // A response that never starts (client gone first) still completes its record.
    res.once('close', () => this.complete());
  }

  /** The full request URL, as error bodies quote it. */
  get requestUrl(): string {
    return `http://${this.req.headers.host ?? '127.0.0.1'}${this.req.url ?? this.url.pathname}`;
  }

  /** A parameter from the query string, overridden by the body (Engage accepts both). */
  param(name: string): string | undefined {
    return this.body?.[name] ?? this.query[name];
  }

  /** Query string and body fields merged, the body winning. */
  get params(): Readonly<Record<string, string>> {
    return this.body === null ? this.query : { ...this.query, ...this.body };
  }

  /** Starts a streamed body. */
  stream(status: number, headers: Record<string, string>, countLines: boolean): BodyWriter {
    const fault = this.fault;
    const byteFault =
      fault !== null && (fault.kind === 'reset' || fault.kind === 'cut' || fault.kind === 'slow')
        ? fault
        : null;
    return new BodyWriter({
      res: this.res,
      record: this.record,
      status,
      headers,
      acceptGzip: /\bgzip\b/i.test(this.req.headers['accept-encoding'] ?? ''),
      gzipLevel: this.settings.gzipLevel,
      chunkBytes: this.settings.chunkBytes,
      fault: byteFault,
      countLines,
      onDone: () => this.complete(),
    });
  }

  /** Sends a complete body. */
  async send(
    status: number,
    contentType: string,
    text: string,
    headers: Record<string, string> = {},
  ): Promise<void> {
    const writer = this.stream(status, { ...headers, 'Content-Type': contentType }, false);
    await writer.write(text);
    await writer.end();
  }

  /** Sends JSON text (already serialised). */
  sendJson(status: number, text: string, headers: Record<string, string> = {}): Promise<void> {
    return this.send(status, JSON_CONTENT_TYPE, text, headers);
  }

  /** Sends Mixpanel's `{"request", "error"}` error body. */
  sendError(status: number, message: string): Promise<void> {
    return this.sendJson(status, errorBodyText(this.requestUrl, message));
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    this.record.durationMs = Math.round((performance.now() - this.startedAt) * 1000) / 1000;
    for (const done of this.onDone) done();
  }
}
