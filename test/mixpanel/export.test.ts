import type { ServerResponse } from 'node:http';
import { stringify } from 'lossless-json';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AbortedError,
  ApiError,
  AuthenticationError,
  InvalidArgumentError,
  RateLimitError,
} from '../../src/errors.js';
import { ManualClock } from '../../src/mixpanel/clock.js';
import type { RawEvent } from '../../src/mixpanel/event-export.js';
import {
  collect,
  cut,
  failure,
  gzipFlushed,
  type Handler,
  type LocalServer,
  startServer,
  TEST_AUTH,
  testClient,
  writeChunks,
} from './support/local-server.js';

const NOW = Date.UTC(2024, 6, 1, 12); // the ManualClock default: today is 2024-07-01
const RANGE = { fromDate: '2024-06-01', toDate: '2024-06-01' };

function sampleEvents(n: number): RawEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    event: i % 3 === 0 ? 'Sign Up' : 'Purchase ✓',
    properties: {
      time: 1717243512 + i,
      distinct_id: i % 7 === 0 ? '' : `u_${i}`,
      $insert_id: `id-${i}`,
      mp_processing_time_ms: 1717243514127 + i,
      account_id: 3928097563762691601n + BigInt(i),
      amount: i + 0.5,
      note: `line ${i}: é € 😀 \u2028 sep \u2029 and \u0085 "quoted" \\n`,
      nested: { a: [1, { b: null }], big: -9007199254740993n },
    },
  }));
}

function body(events: RawEvent[], eol = '\n'): string {
  return events.map((e) => stringify(e) + eol).join('');
}

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: Handler): Promise<LocalServer> {
  server = await startServer(handler);
  return server;
}

function ok(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
}

describe('exportEvents: reading the stream', () => {
  it('decodes gzip chunks cut mid-line and mid-character, keeping big integers exact', async () => {
    const events = sampleEvents(40);
    const bytes = Buffer.from(body(events), 'utf8');
    // Cut the text at odd offsets: many fall inside a line and some inside a multi-byte character.
    const pieces = cut(bytes, 37);
    const s = await serve(async (_req, res) => {
      ok(res, { 'Content-Encoding': 'gzip' });
      await writeChunks(res, await gzipFlushed(pieces));
    });
    const { client } = testClient(s.url);
    const got = await collect(client.exportEvents(RANGE));
    expect(got).toEqual(events);
    expect(got[5]!.properties.account_id).toBe(3928097563762691606n);
    expect(s.requests[0]!.headers['accept-encoding']).toBe('gzip');
  });

  it('reads a body sent uncompressed although gzip was asked for', async () => {
    const events = sampleEvents(3);
    const s = await serve(async (_req, res) => {
      ok(res);
      await writeChunks(res, cut(Buffer.from(body(events)), 5));
    });
    const { client } = testClient(s.url);
    expect(await collect(client.exportEvents(RANGE))).toEqual(events);
  });

  it('handles \\r\\n, blank lines and a last line without a newline', async () => {
    const events = sampleEvents(4);
    const text = `${body(events.slice(0, 3), '\r\n')}\r\n\n${stringify(events[3])}`;
    const s = await serve(async (_req, res) => {
      ok(res);
      await writeChunks(res, cut(Buffer.from(text), 11));
    });
    const { client } = testClient(s.url);
    expect(await collect(client.exportEvents(RANGE))).toEqual(events);
  });

  it('returns nothing for an empty body', async () => {
    const s = await serve((_req, res) => {
      ok(res);
      res.end();
    });
    const { client } = testClient(s.url);
    expect(await collect(client.exportEvents(RANGE))).toEqual([]);
  });

  it('sends the documented parameters and headers', async () => {
    const s = await serve((_req, res) => {
      ok(res);
      res.end();
    });
    const { client } = testClient(s.url, { workspaceId: 99 });
    await collect(
      client.exportEvents({
        fromDate: '2024-06-01',
        toDate: '2024-06-03',
        events: ['Sign Up', 'Purchase'],
        where: 'properties["plan"] == "team"',
        limit: 500,
        timeInMs: true,
      }),
    );
    const req = s.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/api/2.0/export');
    expect(req.query).toEqual({
      project_id: '1234567',
      workspace_id: '99',
      from_date: '2024-06-01',
      to_date: '2024-06-03',
      event: '["Sign Up","Purchase"]',
      where: 'properties["plan"] == "team"',
      limit: '500',
      time_in_ms: 'true',
    });
    expect(req.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TEST_AUTH.username}:${TEST_AUTH.secret}`).toString('base64')}`,
    );
  });

  it('clamps to_date to today (UTC by the injected clock) and says so', async () => {
    const s = await serve((_req, res) => {
      ok(res);
      res.end();
    });
    const { client, warnings } = testClient(s.url, { clock: new ManualClock({ now: NOW }) });
    const info = await client.exportRange(
      { fromDate: '2024-06-28', toDate: '2024-07-09' },
      async (events, i) => {
        await collect(events);
        return i.request;
      },
    );
    expect(s.requests[0]!.query.to_date).toBe('2024-07-01');
    expect(info).toMatchObject({
      fromDate: '2024-06-28',
      toDate: '2024-07-01',
      requestedToDate: '2024-07-09',
    });
    expect(info.warnings.map((w) => w.code)).toEqual(['TO_DATE_CLAMPED']);
    expect(warnings.map((w) => w.code)).toEqual(['TO_DATE_CLAMPED']);
  });

  it('refuses bad parameters before sending anything', async () => {
    const s = await serve((_req, res) => res.end());
    const { client } = testClient(s.url);
    const bad = [
      { fromDate: '2024-06-02', toDate: '2024-06-01' },
      { fromDate: '2024-6-1', toDate: '2024-06-01' },
      { ...RANGE, limit: 100_001 },
      { ...RANGE, events: [] },
      { fromDate: '2024-01-01', toDate: '2024-06-01' }, // over 100 days
      { fromDate: '2024-07-02', toDate: '2024-07-05' }, // starts after today
    ];
    for (const params of bad) {
      expect(() => client.exportEvents(params)).toThrow(InvalidArgumentError);
    }
    expect(s.requests).toHaveLength(0);
  });
});

describe('exportRange: retrying a range as a unit', () => {
  it('retries after a terminated early line and hands each attempt a fresh stream', async () => {
    const events = sampleEvents(10);
    const s = await serve(async (_req, res, n) => {
      ok(res);
      if (n === 0) await writeChunks(res, [body(events.slice(0, 4)), 'terminated early\n']);
      else await writeChunks(res, [body(events)]);
    });
    const { client, clock } = testClient(s.url);
    const seen: { attempt: number; count: number; failed: boolean }[] = [];
    const stored = await client.exportRange(RANGE, async (stream, info) => {
      const rows: RawEvent[] = [];
      try {
        for await (const e of stream) rows.push(e);
      } catch (error) {
        seen.push({ attempt: info.attempt, count: rows.length, failed: true });
        throw error; // "rollback"
      }
      seen.push({ attempt: info.attempt, count: rows.length, failed: false });
      return rows;
    });
    expect(stored).toEqual(events);
    expect(seen).toEqual([
      { attempt: 1, count: 4, failed: true },
      { attempt: 2, count: 10, failed: false },
    ]);
    expect(s.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([500]); // backoff: random 0.5 × 1000 ms
  });

  it('gives up after 5 attempts with an ApiError naming the line', async () => {
    const s = await serve(async (_req, res) => {
      ok(res);
      await writeChunks(res, [body(sampleEvents(2)), 'terminated early\n']);
    });
    const { client, clock } = testClient(s.url);
    const error = await failure(client.exportRange(RANGE, async (stream) => collect(stream)));
    expect(error).toBeInstanceOf(ApiError);
    const api = error as ApiError;
    expect(api.retryable).toBe(true);
    expect(api.endpoint).toBe('/api/2.0/export');
    expect(api.message).toContain("'terminated early' at line 3");
    expect(api.message).toContain('Gave up after 5 attempts');
    expect(api.details).toMatchObject({ attempts: 5, lineNumber: 3, linesRead: 2, fromDate: '2024-06-01' });
    expect(s.requests).toHaveLength(5);
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000]);
  });

  it('fails on a line that is not an event and reports the line number', async () => {
    const events = sampleEvents(3);
    const s = await serve(async (_req, res, n) => {
      ok(res);
      if (n === 0) await writeChunks(res, [body(events.slice(0, 2)), '{"event":"x","prop']);
      else if (n === 1) await writeChunks(res, [body(events.slice(0, 1)), '[1,2]\n']);
      else await writeChunks(res, [body(events)]);
    });
    const { client } = testClient(s.url);
    const failures: string[] = [];
    const rows = await client.exportRange(RANGE, async (stream) => {
      try {
        return await collect(stream);
      } catch (error) {
        failures.push((error as Error).message);
        throw error;
      }
    });
    expect(rows).toEqual(events);
    expect(failures[0]).toContain('line 3 is not valid JSON');
    expect(failures[1]).toContain('line 2 is not an event object');
  });

  it('retries after a connection reset mid-body', async () => {
    const events = sampleEvents(30);
    const bytes = Buffer.from(body(events));
    const s = await serve(async (_req, res, n) => {
      ok(res);
      if (n === 0) {
        await new Promise<void>((r) => res.write(bytes.subarray(0, 1500), () => r()));
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.resetAndDestroy();
        return;
      }
      await writeChunks(res, cut(bytes, 999));
    });
    const { client } = testClient(s.url);
    const messages: string[] = [];
    const rows = await client.exportRange(RANGE, async (stream) => {
      try {
        return await collect(stream);
      } catch (error) {
        messages.push((error as Error).message);
        throw error;
      }
    });
    expect(rows).toEqual(events);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/reset|closed before/);
  });

  it('retries after a premature close inside a gzip body', async () => {
    const events = sampleEvents(60);
    const gz = await gzipFlushed(cut(Buffer.from(body(events)), 400));
    const s = await serve(async (_req, res, n) => {
      ok(res, { 'Content-Encoding': 'gzip' });
      if (n === 0) {
        for (const piece of gz.slice(0, 3)) await new Promise<void>((r) => res.write(piece, () => r()));
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.destroy(); // no terminating chunk
        return;
      }
      await writeChunks(res, gz);
    });
    const { client } = testClient(s.url);
    const attempts: number[] = [];
    const rows = await client.exportRange(RANGE, async (stream, info) => {
      attempts.push(info.attempt);
      return collect(stream);
    });
    expect(rows).toEqual(events);
    expect(attempts).toEqual([1, 2]);
  });

  it('treats a gzip stream truncated before a clean end as a failure', async () => {
    const events = sampleEvents(20);
    const gz = Buffer.concat(await gzipFlushed([body(events)]));
    const s = await serve(async (_req, res, n) => {
      ok(res, { 'Content-Encoding': 'gzip' });
      await writeChunks(res, n === 0 ? [gz.subarray(0, gz.length - 30)] : [gz]);
    });
    const { client } = testClient(s.url);
    const messages: string[] = [];
    const rows = await client.exportRange(RANGE, async (stream) => {
      try {
        return await collect(stream);
      } catch (error) {
        messages.push((error as Error).message);
        throw error;
      }
    });
    expect(rows).toEqual(events);
    expect(messages[0]).toMatch(/gzip stream was truncated|not valid JSON/);
  });

  it('hits the idle timeout on a stalled stream, then retries', async () => {
    const events = sampleEvents(5);
    const s = await serve(async (_req, res, n) => {
      ok(res);
      if (n === 0) {
        res.write(body(events.slice(0, 2))); // then nothing
        return;
      }
      await writeChunks(res, [body(events)]);
    });
    const { client } = testClient(s.url, { idleTimeoutMs: 150 });
    const messages: string[] = [];
    const rows = await client.exportRange(RANGE, async (stream) => {
      try {
        return await collect(stream);
      } catch (error) {
        messages.push((error as Error).message);
        throw error;
      }
    });
    expect(rows).toEqual(events);
    expect(messages[0]).toContain('stalled at /api/2.0/export: no data for 150 ms');
  });

  it('does not time out while the consumer is slow', async () => {
    const events = sampleEvents(3);
    const s = await serve(async (_req, res) => {
      ok(res);
      await writeChunks(
        res,
        events.map((e) => `${stringify(e)}\n`),
      );
    });
    const { client } = testClient(s.url, { idleTimeoutMs: 300 });
    const rows: RawEvent[] = [];
    for await (const e of client.exportEvents(RANGE)) {
      rows.push(e);
      await new Promise((r) => setTimeout(r, 400)); // longer than the idle timeout
    }
    expect(rows).toEqual(events);
  });

  it('passes through an error of the consumer without retrying', async () => {
    const s = await serve(async (_req, res) => {
      ok(res);
      await writeChunks(res, [body(sampleEvents(5))]);
    });
    const { client } = testClient(s.url);
    const mine = new Error('disk full');
    const error = await failure(
      client.exportRange(RANGE, async (stream) => {
        for await (const _ of stream) throw mine;
      }),
    );
    expect(error).toBe(mine);
    expect(s.requests).toHaveLength(1);
    expect(client.rateLimiter('export')!.snapshot().inFlight).toBe(0);
  });

  it('retries when the consumer wraps the stream failure as its cause', async () => {
    const events = sampleEvents(3);
    const s = await serve(async (_req, res, n) => {
      ok(res);
      await writeChunks(res, n === 0 ? ['terminated early\n'] : [body(events)]);
    });
    const { client } = testClient(s.url);
    const rows = await client.exportRange(RANGE, async (stream) => {
      try {
        return await collect(stream);
      } catch (error) {
        throw new Error('write failed', { cause: error });
      }
    });
    expect(rows).toEqual(events);
  });
});

describe('exportAttempts and exportEvents', () => {
  it('yields a new attempt after a failure and ends after a complete one', async () => {
    const events = sampleEvents(6);
    const s = await serve(async (_req, res, n) => {
      ok(res);
      await writeChunks(res, n === 0 ? [body(events.slice(0, 3)), 'terminated early\n'] : [body(events)]);
    });
    const { client } = testClient(s.url);
    const committed: RawEvent[][] = [];
    let attempts = 0;
    for await (const attempt of client.exportAttempts(RANGE)) {
      attempts++;
      const tx: RawEvent[] = [];
      try {
        for await (const e of attempt.events) tx.push(e);
        committed.push(tx);
      } catch (error) {
        expect(error).toBe(attempt.failure);
        expect(attempt.linesRead).toBe(3);
      }
    }
    expect(attempts).toBe(2);
    expect(committed).toEqual([events]);
  });

  it('refuses to continue after an attempt that was neither read nor failed', async () => {
    const s = await serve(async (_req, res) => {
      ok(res);
      await writeChunks(res, [body(sampleEvents(2))]);
    });
    const { client } = testClient(s.url);
    const error = await failure(
      (async () => {
        for await (const attempt of client.exportAttempts(RANGE)) void attempt;
      })(),
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
  });

  it('exportEvents retries silently before the first event, then throws with linesRead', async () => {
    const events = sampleEvents(4);
    const s = await serve(async (_req, res, n) => {
      if (n === 0) {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.end('upstream busy');
        return;
      }
      ok(res);
      await writeChunks(res, [body(events.slice(0, 2)), 'terminated early\n']);
    });
    const { client } = testClient(s.url);
    const rows: RawEvent[] = [];
    const error = await failure(
      (async () => {
        for await (const e of client.exportEvents(RANGE)) rows.push(e);
      })(),
    );
    expect(rows).toEqual(events.slice(0, 2));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).retryable).toBe(true);
    expect((error as ApiError).details).toMatchObject({ linesRead: 2, attempt: 2 });
    expect(s.requests).toHaveLength(2);
  });
});

describe('HTTP failures', () => {
  it('retries 500 then succeeds; Retry-After replaces the backoff', async () => {
    const events = sampleEvents(2);
    const s = await serve(async (_req, res, n) => {
      if (n === 0) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"request":"/api/2.0/export","error":"internal"}');
      } else if (n === 1) {
        res.writeHead(503, { 'Retry-After': '7' });
        res.end('<html><body>Service Unavailable</body></html>');
      } else {
        ok(res);
        await writeChunks(res, [body(events)]);
      }
    });
    const { client, clock } = testClient(s.url);
    expect(await collect(client.exportEvents(RANGE))).toEqual(events);
    expect(clock.sleeps).toEqual([500, 7000]);
  });

  it('does not retry 401 and maps it to AuthenticationError without the secret', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end('{"error":"Invalid username or secret"}');
    });
    const { client } = testClient(s.url);
    const error = await failure(collect(client.exportEvents(RANGE)));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('Invalid username or secret');
    expect(JSON.stringify(error)).not.toContain(TEST_AUTH.secret);
    expect(error.message).not.toContain(TEST_AUTH.secret);
    expect(s.requests).toHaveLength(1);
  });

  it('maps 400 "Unable to authenticate request" to AuthenticationError', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(400);
      res.end('Unable to authenticate request');
    });
    const { client } = testClient(s.url);
    expect(await failure(collect(client.exportEvents(RANGE)))).toBeInstanceOf(AuthenticationError);
    expect(s.requests).toHaveLength(1);
  });

  it('does not retry 400, 402 or 403 and quotes the server (plain text kept)', async () => {
    const bodies: [number, string, string][] = [
      [
        400,
        '{"request":"x","error":"to_date cannot be later than today"}',
        'to_date cannot be later than today',
      ],
      [
        402,
        '{"error":"Your plan does not support raw data export"}',
        'Your plan does not support raw data export',
      ],
      [403, 'Forbidden: no access to project', 'Forbidden: no access to project'],
    ];
    for (const [status, text, quoted] of bodies) {
      const s = await startServer((_req, res) => {
        res.writeHead(status, { 'x-request-id': `req-${status}` });
        res.end(text);
      });
      try {
        const { client } = testClient(s.url);
        const error = (await failure(collect(client.exportEvents(RANGE)))) as ApiError;
        expect(error).toBeInstanceOf(ApiError);
        expect(error.status).toBe(status);
        expect(error.retryable).toBe(false);
        expect(error.requestId).toBe(`req-${status}`);
        expect(error.message).toContain(quoted);
        expect(s.requests).toHaveLength(1);
      } finally {
        await s.close();
      }
    }
  });

  it('retries a network failure (connection refused) and reports it', async () => {
    const s = await serve((_req, res) => res.end());
    const url = s.url;
    await s.close();
    server = undefined;
    const { client, clock } = testClient(url, { retry: { maxAttempts: 2, random: () => 0.5 } });
    const error = (await failure(collect(client.exportEvents(RANGE)))) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.details.attempts).toBe(2);
    expect(clock.sleeps).toEqual([500]);
  });
});

describe('429 handling', () => {
  it('waits Retry-After when short, then succeeds', async () => {
    const events = sampleEvents(2);
    const s = await serve(async (_req, res, n) => {
      if (n === 0) {
        res.writeHead(429, { 'Retry-After': '12', 'Content-Type': 'text/plain' });
        res.end('too many export requests in progress for this project');
        return;
      }
      ok(res);
      await writeChunks(res, [body(events)]);
    });
    const { client, clock } = testClient(s.url);
    expect(await collect(client.exportEvents(RANGE))).toEqual(events);
    expect(clock.sleeps).toEqual([12_000]);
  });

  it('fails at once with RateLimitError when RateLimit says the hour is used up', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(429, {
        'RateLimit-Policy': '"project";q=60;w=3600, "project-concurrency";q=5;qu="concurrent-requests"',
        RateLimit: '"project";r=0;t=1800, "project-concurrency";r=3',
        'Content-Type': 'application/json',
      });
      res.end('{"request":"x","error":"Query rate limit exceeded for project_id: 1234567. (61/60 queries)"}');
    });
    const { client, clock } = testClient(s.url);
    const t0 = clock.now();
    const error = (await failure(collect(client.exportEvents(RANGE)))) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.kind).toBe('quota');
    expect(error.bucket).toBe('export');
    expect(error.retryAt.getTime()).toBe(t0 + 1_800_000);
    expect(s.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    // The shared limiter now refuses further requests of the bucket without sending them.
    const again = (await failure(collect(client.exportEvents(RANGE)))) as RateLimitError;
    expect(again).toBeInstanceOf(RateLimitError);
    expect(again.kind).toBe('quota');
    expect(s.requests).toHaveLength(1);
  });

  it('backs off on an export 429 without headers and ends with RateLimitError', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(429);
      res.end();
    });
    const { client, clock } = testClient(s.url);
    const error = (await failure(collect(client.exportEvents(RANGE)))) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.kind).toBe('export');
    expect(s.requests).toHaveLength(5);
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000]);
  });
});

describe('rate limiting and cancellation', () => {
  it('holds the concurrency slot until the stream ends, not when headers arrive', async () => {
    const events = sampleEvents(3);
    const s = await serve(async (_req, res) => {
      ok(res);
      await writeChunks(
        res,
        events.map((e) => `${stringify(e)}\n`),
      );
    });
    const { client } = testClient(s.url);
    const limiter = client.rateLimiter('export')!;
    const inFlight: number[] = [];
    for await (const _ of client.exportEvents(RANGE)) inFlight.push(limiter.snapshot().inFlight);
    expect(inFlight).toEqual([1, 1, 1]);
    expect(limiter.snapshot()).toMatchObject({ inFlight: 0, startedInWindow: 1 });
  });

  it('aborts a retry sleep at once', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    const clock = new ManualClock({ autoAdvance: false });
    const { client } = testClient(s.url, { clock });
    const controller = new AbortController();
    const pending = failure(collect(client.exportEvents({ ...RANGE, signal: controller.signal })));
    while (clock.pendingSleeps === 0) await new Promise((r) => setTimeout(r, 2));
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortedError);
    expect(s.requests).toHaveLength(1);
  });

  it('aborts a running stream at once', async () => {
    const events = sampleEvents(2);
    const s = await serve((_req, res) => {
      ok(res);
      res.write(body(events)); // then the stream stays open
    });
    const { client } = testClient(s.url);
    const controller = new AbortController();
    const rows: RawEvent[] = [];
    const error = await failure(
      (async () => {
        for await (const e of client.exportEvents({ ...RANGE, signal: controller.signal })) {
          rows.push(e);
          if (rows.length === 2) setTimeout(() => controller.abort(), 10);
        }
      })(),
    );
    expect(error).toBeInstanceOf(AbortedError);
    expect(rows).toEqual(events);
    expect(client.rateLimiter('export')!.snapshot().inFlight).toBe(0);
  });

  it('refuses an already aborted signal without sending', async () => {
    const s = await serve((_req, res) => res.end());
    const { client } = testClient(s.url);
    const error = await failure(collect(client.exportEvents({ ...RANGE, signal: AbortSignal.abort() })));
    expect(error).toBeInstanceOf(AbortedError);
    expect(s.requests).toHaveLength(0);
  });
});

describe('fetch transport', () => {
  it('reads a gzip export through the global fetch', async () => {
    const events = sampleEvents(30);
    const s = await serve(async (_req, res) => {
      ok(res, { 'Content-Encoding': 'gzip' });
      await writeChunks(res, await gzipFlushed(cut(Buffer.from(body(events)), 333)));
    });
    const { client } = testClient(s.url, { fetch: globalThis.fetch });
    expect(await collect(client.exportEvents(RANGE))).toEqual(events);
  });

  it('maps fetch failures and retries them', async () => {
    const events = sampleEvents(2);
    const s = await serve(async (_req, res, n) => {
      ok(res);
      if (n === 0) {
        res.write(body(events).slice(0, 30));
        await new Promise((r) => setTimeout(r, 10));
        res.socket?.destroy();
        return;
      }
      await writeChunks(res, [body(events)]);
    });
    const { client } = testClient(s.url, { fetch: globalThis.fetch });
    const attempts: number[] = [];
    const rows = await client.exportRange(RANGE, async (stream, info) => {
      attempts.push(info.attempt);
      return collect(stream);
    });
    expect(rows).toEqual(events);
    expect(attempts).toEqual([1, 2]);
  });
});
