import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createGzip, type Gzip, constants as zlibConstants } from 'node:zlib';
import type { FakeCutFault, FakeResetFault, FakeSlowFault } from './faults.js';
import type { FakeRequestRecord } from './request-log.js';

/** Thrown inside a handler when the response can no longer be written (client gone or fault fired). */
export class StreamStopped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'StreamStopped';
  }
}

/** Everything a {@link BodyWriter} needs to produce one response. */
export interface BodyWriterOptions {
  readonly res: ServerResponse;
  readonly record: FakeRequestRecord;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly acceptGzip: boolean;
  readonly gzipLevel: number;
  readonly chunkBytes: number;
  /** A fault that acts on the byte stream. */
  readonly fault: FakeResetFault | FakeCutFault | FakeSlowFault | null;
  /** Count `\n`-terminated lines into `record.linesSent`. */
  readonly countLines: boolean;
  /** Called once, when the response is complete or abandoned. */
  readonly onDone: () => void;
}

/** Mixpanel leaves bodies of 1400 bytes or less uncompressed even when gzip was asked for. */
export const GZIP_MIN_BYTES = 1400;
// Bytes are sent once this much is buffered; buffers are allocated this large.
const FLUSH_BYTES = 131_072;
const BUFFER_BYTES = 262_144;
const NEWLINE = 0x0a;
// Uncompressed bytes that may wait in gzip before the generator pauses.
const GZIP_BACKLOG_BYTES = 1_048_576;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Writes one response body the way the fake's wire rules demand: headers wait until the body is
 * known to exceed 1400 bytes (the gzip threshold), then the body goes out in chunks of exactly
 * `chunkBytes` bytes, cut wherever that falls (mid-line, mid-character), each one flushed through
 * gzip when gzip is on. Byte faults (reset, cut, stall) and delays fire here.
 *
 * Without a fault, the chunks of one flush are pipelined: written corked (one writev for many
 * HTTP chunks) and, with gzip, queued with a sync flush each and awaited once. With a fault, each
 * chunk is awaited so the fault fires at an exact byte.
 */
export class BodyWriter {
  private buffer = Buffer.allocUnsafe(0);
  private buffered = 0;
  private pending: Buffer[] = [];
  private held: Buffer[] = [];
  private heldBytes = 0;
  private remainder: Buffer | null = null;
  private headersSent = false;
  private gzip: Gzip | null = null;
  private lastFlush: Promise<void> | null = null;
  private sent = 0;
  private chunksWritten = 0;
  private closed = false;
  private done = false;
  private readonly pipelined: boolean;
  private readonly closedPromise: Promise<void>;
  private readonly socket: Socket;

  constructor(private readonly o: BodyWriterOptions) {
    this.socket = o.res.socket as Socket;
    this.pipelined = o.fault === null;
    this.closedPromise = new Promise((resolve) => {
      o.res.once('close', () => {
        this.closed = true;
        this.finish();
        resolve();
      });
    });
  }

  /**
   * Appends text without waiting; returns `true` once enough bytes are buffered that the caller
   * should `await flush()`. Text is UTF-8 encoded straight into a large buffer, line by line: one
   * big concatenated string would be a deep rope that is slow to flatten and, as soon as it holds
   * a single non-Latin-1 character, slow to encode.
   */
  append(text: string): boolean {
    if (this.closed) throw new StreamStopped('client closed the connection');
    const needed = text.length * 3;
    if (this.buffered + needed > this.buffer.length) {
      if (this.buffered > 0) this.pending.push(this.buffer.subarray(0, this.buffered));
      this.buffer = Buffer.allocUnsafe(Math.max(BUFFER_BYTES, needed));
      this.buffered = 0;
    }
    this.buffered += this.buffer.write(text, this.buffered, 'utf8');
    return this.buffered >= FLUSH_BYTES || this.pending.length > 0;
  }

  /** Sends what {@link append} buffered (whole chunks only; the tail waits for more). */
  async flush(): Promise<void> {
    await this.pump(false);
  }

  /** Appends text, flushing when enough is buffered. */
  async write(text: string): Promise<void> {
    if (this.append(text)) await this.pump(false);
  }

  /** Completes the body. */
  async end(): Promise<void> {
    if (this.closed) throw new StreamStopped('client closed the connection');
    await this.pump(true);
    if (this.closed) return;
    const gzip = this.gzip;
    if (gzip) {
      await new Promise<void>((resolve) => {
        gzip.once('end', resolve);
        gzip.end();
      });
    }
    this.finish();
    this.o.res.end();
  }

  /**
   * True when a body may go out already compressed ({@link sendGzipped}): gzip was asked for,
   * nothing was written yet, and no byte fault needs to act on the plain bytes.
   */
  get acceptsPrecompressed(): boolean {
    return this.o.acceptGzip && this.pipelined && !this.headersSent && this.buffered === 0;
  }

  /**
   * Sends a complete gzip body compressed beforehand (the export cache): same headers as a
   * generated gzip body, `parts` written as they are, with backpressure. `lines` is the number of
   * lines the decompressed body holds, for the request log.
   */
  async sendGzipped(parts: readonly Buffer[], lines: number): Promise<void> {
    const { res, record } = this.o;
    if (this.closed) throw new StreamStopped('client closed the connection');
    record.status = this.o.status;
    record.gzip = true;
    res.writeHead(this.o.status, { ...this.o.headers, 'Content-Encoding': 'gzip' });
    this.headersSent = true;
    for (const part of parts) {
      record.bytesSent += part.length;
      if (!res.write(part)) await this.waitFor(res);
    }
    if (this.o.countLines) record.linesSent += lines;
    this.finish();
    res.end();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.o.onDone();
  }

  private takeBuffered(): Buffer {
    if (this.buffered > 0) {
      this.pending.push(this.buffer.subarray(0, this.buffered));
      // Those bytes now belong to `pending` (and later to the socket): never write over them.
      this.buffer = Buffer.allocUnsafe(BUFFER_BYTES);
      this.buffered = 0;
    }
    const data = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    return data;
  }

  private async pump(final: boolean): Promise<void> {
    let data = this.takeBuffered();
    if (!this.headersSent) {
      if (data.length > 0) this.held.push(data);
      this.heldBytes += data.length;
      if (!final && this.heldBytes <= GZIP_MIN_BYTES) return;
      await this.sendHeaders(final);
      data = this.held.length === 1 ? (this.held[0] as Buffer) : Buffer.concat(this.held);
      this.held = [];
    }
    if (this.remainder !== null) {
      data = Buffer.concat([this.remainder, data]);
      this.remainder = null;
    }
    const size = this.o.chunkBytes;
    const res = this.o.res;
    const cork = this.pipelined && this.gzip === null;
    let offset = 0;
    if (cork) res.cork();
    try {
      while (data.length - offset >= size) {
        await this.emit(data.subarray(offset, offset + size));
        offset += size;
      }
      if (offset < data.length) {
        if (final) await this.emit(data.subarray(offset));
        else this.remainder = data.subarray(offset);
      }
    } finally {
      if (cork) res.uncork();
    }
    // Compression runs on the thread pool while the next lines are generated; only a large
    // backlog makes the generator wait.
    const gzip = this.gzip;
    if (gzip !== null && this.lastFlush !== null && gzip.writableLength > GZIP_BACKLOG_BYTES) {
      await Promise.race([this.lastFlush, this.closedPromise]);
    }
    if (this.closed) throw new StreamStopped('client closed the connection');
    // While corked nothing drains, so backpressure is honoured here, once per pump.
    if (res.writableNeedDrain) await this.waitFor(res);
  }

  private async sendHeaders(final: boolean): Promise<void> {
    const { res, record, fault } = this.o;
    if (fault?.kind === 'slow' && fault.headerDelayMs) await sleep(fault.headerDelayMs);
    if (this.closed) throw new StreamStopped('client closed the connection');
    const useGzip = this.o.acceptGzip && this.heldBytes > GZIP_MIN_BYTES;
    const headers: Record<string, string | number> = { ...this.o.headers };
    if (useGzip) headers['Content-Encoding'] = 'gzip';
    else if (final && fault === null) headers['Content-Length'] = this.heldBytes;
    record.status = this.o.status;
    record.gzip = useGzip;
    res.writeHead(this.o.status, headers);
    res.flushHeaders();
    this.headersSent = true;
    if (useGzip) {
      const gzip = createGzip({ level: this.o.gzipLevel, memLevel: 9, flush: zlibConstants.Z_SYNC_FLUSH });
      let corked = false;
      gzip.on('data', (chunk: Buffer) => {
        record.bytesSent += chunk.length;
        // Compressed chunks of one tick go out in one writev.
        if (!corked) {
          corked = true;
          res.cork();
          process.nextTick(() => {
            corked = false;
            res.uncork();
          });
        }
        // When pipelined, the pump bounds what is in flight and waits for drain itself; pausing
        // here could stall a flush it is waiting for.
        if (!res.write(chunk) && !this.pipelined) {
          gzip.pause();
          res.once('drain', () => gzip.resume());
        }
      });
      this.gzip = gzip;
    }
  }

  private async emit(piece: Buffer): Promise<void> {
    const fault = this.o.fault;
    if (fault !== null && fault.kind !== 'slow') {
      const limit = fault.afterBytes ?? 0;
      if (this.sent + piece.length >= limit) {
        await this.send(piece.subarray(0, limit - this.sent));
        await this.breakConnection(fault.kind);
      }
    } else if (fault?.kind === 'slow' && fault.stall) {
      const limit = fault.afterBytes ?? 0;
      if (this.sent + piece.length > limit) {
        await this.send(piece.subarray(0, limit - this.sent));
        // Headers (and any bytes before the limit) are out; now nothing until the client gives up.
        await this.closedPromise;
        throw new StreamStopped('stalled until the client closed');
      }
    }
    if (fault?.kind === 'slow' && fault.chunkDelayMs && this.chunksWritten > 0)
      await sleep(fault.chunkDelayMs);
    await this.send(piece);
  }

  private async send(piece: Buffer): Promise<void> {
    if (this.closed) throw new StreamStopped('client closed the connection');
    this.chunksWritten++;
    this.sent += piece.length;
    const { res, record } = this.o;
    if (this.o.countLines) {
      for (let at = piece.indexOf(NEWLINE); at >= 0; at = piece.indexOf(NEWLINE, at + 1)) record.linesSent++;
    }
    if (piece.length === 0) return;
    const gzip = this.gzip;
    if (gzip === null) {
      record.bytesSent += piece.length;
      if (!res.write(piece) && !this.pipelined) await this.waitFor(res);
      return;
    }
    // The stream was created with `flush: Z_SYNC_FLUSH`, so every chunk is flushed as it is
    // compressed (compressed boundaries land mid-line too) in one thread-pool job, not two.
    const flushed = new Promise<void>((resolve) => gzip.write(piece, () => resolve()));
    if (this.pipelined) {
      this.lastFlush = flushed;
      return;
    }
    await Promise.race([flushed, this.closedPromise]);
    // 'drain' may already have fired during the write, so ask for the current state.
    if (gzip.writableNeedDrain) await this.waitFor(gzip);
  }

  private async waitFor(emitter: Gzip | ServerResponse): Promise<void> {
    await Promise.race([
      new Promise<void>((resolve) => emitter.once('drain', () => resolve())),
      this.closedPromise,
    ]);
    if (this.closed) throw new StreamStopped('client closed the connection');
  }

  private async breakConnection(kind: 'reset' | 'cut'): Promise<void> {
    const socket = this.socket;
    if (!this.headersSent || this.closed) throw new StreamStopped(kind);
    // Give the bytes already written a moment to reach the client before the connection dies.
    for (let waited = 0; waited < 1000 && socket.writableLength > 0; waited += 5) await sleep(5);
    await sleep(15);
    this.finish();
    if (kind === 'reset') socket.resetAndDestroy();
    else socket.destroySoon();
    throw new StreamStopped(kind);
  }
}
