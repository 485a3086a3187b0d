import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import {
  apiUrl,
  engage,
  exportRaw,
  parseChunked,
  query,
  rawRequest,
  saAuth,
  socketRequest,
} from './helpers.js';

const DOCS =
  'For more information, please consult our documentation at https://help.mixpanel.com/hc/en-us/articles/115004602563-Rate-Limits-for-Export-API-Endpoints';

describe('injected faults', () => {
  let fake: FakeMixpanel;
  beforeEach(async () => {
    fake = await startFakeMixpanel({ days: 3, clock: 'frozen', rateLimits: 'off' });
  });
  afterEach(() => fake.close());

  const segUrl = () =>
    apiUrl(fake, '/api/query/segmentation', {
      event: 'Search',
      from_date: '2024-06-01',
      to_date: '2024-06-01',
    });
  const seg = () => rawRequest(segUrl(), { headers: { authorization: saAuth(fake) } });
  const exportPath = () =>
    `/api/2.0/export?project_id=${fake.projectId}&from_date=2024-06-01&to_date=2024-06-02`;

  it('sends the hourly-quota 429 with the real headers and body', async () => {
    fake.inject({ match: { family: 'query' }, fault: { kind: 'rateLimit', variant: 'quota' } });
    const res = await seg();
    expect(res.status).toBe(429);
    expect(res.headers['ratelimit-policy']).toBe(
      '"project";q=60;w=3600, "project-concurrency";q=5;qu="concurrent-requests"',
    );
    expect(res.headers.ratelimit).toBe('"project";r=0;t=3600, "project-concurrency";r=5');
    expect(res.headers['retry-after']).toBe('3600');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text).toBe(
      `{"request": ${JSON.stringify(segUrl())}, "error": "Query rate limit exceeded for project_id: 1234567. ` +
        `This request exceeded the rate limit (61/60 queries running in the last hour). ${DOCS}"}`,
    );
    expect(fake.requests.at(-1)).toMatchObject({ status: 429, fault: 'rateLimit', countedAs: null });
  });

  it('sends the concurrency and load-shedding 429s', async () => {
    fake.inject({ fault: { kind: 'rateLimit', variant: 'concurrency' } });
    fake.inject({ fault: { kind: 'rateLimit', variant: 'loadShed' }, nth: 2 });
    const concurrency = await seg();
    expect(concurrency.status).toBe(429);
    expect(concurrency.headers.ratelimit).toBe('"project";r=60, "project-concurrency";r=0;t=10');
    expect(concurrency.headers['retry-after']).toBeUndefined();
    expect(JSON.parse(concurrency.text).error).toBe(
      'Query rate limit exceeded for project_id: 1234567. This request exceeded the concurrency limit (6/5 queries running concurrently).',
    );
    const shed = await seg();
    expect(shed.status).toBe(429);
    expect(shed.headers.ratelimit).toBeUndefined();
    expect(shed.headers['ratelimit-policy']).toBeUndefined();
    expect(JSON.parse(shed.text).error).toBe(
      'Query rate limit exceeded for project_id: 1234567 For more information, please consult our documentation',
    );
    expect((await seg()).status).toBe(200);
  });

  it('sends export 429s as JSON or text, Retry-After only on request', async () => {
    fake.inject({ match: { family: 'export' }, fault: { kind: 'rateLimit', variant: 'export' } });
    fake.inject({
      match: { family: 'export' },
      fault: { kind: 'rateLimit', variant: 'export', body: 'text', retryAfter: 7 },
      nth: 2,
    });
    const json = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' });
    expect(json.status).toBe(429);
    expect(json.headers['retry-after']).toBeUndefined();
    expect(typeof JSON.parse(json.text).error).toBe('string');
    const text = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' });
    expect(text.status).toBe(429);
    expect(text.headers['retry-after']).toBe('7');
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(() => JSON.parse(text.text)).toThrow();
  });

  it('scripts "two 429s, then success" and hits the nth occurrence', async () => {
    fake.inject({ match: { family: 'export' }, fault: { kind: 'rateLimit', variant: 'export' }, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' })).status);
    expect(statuses).toEqual([429, 429, 200]);
    fake.inject({
      match: { path: '/api/query/segmentation' },
      fault: { kind: 'status', status: 503 },
      nth: 2,
    });
    expect([(await seg()).status, (await seg()).status, (await seg()).status]).toEqual([200, 503, 200]);
  });

  it('matches on a predicate over the parsed request', async () => {
    fake.inject({
      match: { predicate: (r) => r.query.event === 'Purchase' },
      fault: { kind: 'status', status: 500 },
    });
    expect((await seg()).status).toBe(200);
    const purchase = await query(fake, 'segmentation', {
      event: 'Purchase',
      from_date: '2024-06-01',
      to_date: '2024-06-01',
    });
    expect(purchase.status).toBe(500);
  });

  it('sends any status with the given body, content type and headers', async () => {
    const html =
      '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
    fake.inject({
      fault: {
        kind: 'status',
        status: 502,
        body: html,
        contentType: 'text/html',
        headers: { 'X-Proxy': 'edge' },
      },
    });
    const res = await seg();
    expect(res.status).toBe(502);
    expect(res.text).toBe(html);
    expect(res.headers['content-type']).toBe('text/html');
    expect(res.headers['x-proxy']).toBe('edge');
  });

  it('sends auth and plan failures', async () => {
    fake.inject({ fault: { kind: 'auth' } });
    fake.inject({ fault: { kind: 'auth', status: 400 }, nth: 2 });
    fake.inject({ match: { family: 'export' }, fault: { kind: 'auth', status: 402 } });
    fake.inject({ fault: { kind: 'auth', status: 403 }, nth: 4 });
    expect((await seg()).status).toBe(401);
    const bad = await seg();
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Unable to authenticate request');
    const plan = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' });
    expect(plan.status).toBe(402);
    expect(JSON.parse(plan.text).error).toContain('Your plan does not support raw data export');
    expect((await seg()).status).toBe(403);
  });

  it('ends an export with "terminated early" after afterLines lines', async () => {
    fake.inject({ match: { family: 'export' }, fault: { kind: 'terminatedEarly', afterLines: 5 } });
    const res = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-02' });
    expect(res.status).toBe(200);
    const lines = res.text.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines.slice(0, 5).every((l) => typeof JSON.parse(l).event === 'string')).toBe(true);
    expect(lines[5]).toBe('terminated early');
    expect(lines[6]).toBe('');
    expect(fake.requests.at(-1)?.fault).toBe('terminatedEarly');
  });

  it('resets the connection after afterBytes (ECONNRESET)', async () => {
    fake.inject({ match: { family: 'export' }, fault: { kind: 'reset', afterBytes: 3000 } });
    const outcome = await socketRequest(fake, exportPath(), {
      authorization: saAuth(fake),
      'accept-encoding': 'identity',
    });
    expect(outcome.ending).toBe('error');
    expect(outcome.errorCode).toBe('ECONNRESET');
    fake.inject({ match: { family: 'export' }, fault: { kind: 'reset', afterBytes: 3000 } });
    const failure = await fetch(
      apiUrl(fake, '/api/2.0/export', { from_date: '2024-06-01', to_date: '2024-06-02' }),
      {
        headers: { authorization: saAuth(fake) },
      },
    )
      .then((res) => res.text())
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  });

  it('closes the connection without the final chunk after afterBytes (premature close, truncated gzip)', async () => {
    fake.inject({ match: { family: 'export' }, fault: { kind: 'cut', afterBytes: 5000 } });
    const plain = await socketRequest(fake, exportPath(), {
      authorization: saAuth(fake),
      'accept-encoding': 'identity',
    });
    expect(plain.ending).toBe('end');
    const framed = parseChunked(plain.bytes);
    expect(framed.head).toMatch(/^HTTP\/1\.1 200/);
    expect(framed.complete).toBe(false);
    expect(Buffer.concat(framed.chunks).length).toBe(5000);

    fake.inject({ match: { family: 'export' }, fault: { kind: 'cut', afterBytes: 50_000 } });
    const zipped = await socketRequest(fake, exportPath(), {
      authorization: saAuth(fake),
      'accept-encoding': 'gzip',
    });
    const zframed = parseChunked(zipped.bytes);
    expect(zframed.complete).toBe(false);
    expect(() => gunzipSync(Buffer.concat(zframed.chunks))).toThrow(/unexpected end of file/);
  });

  it('writes a garbage line, or splits a record over two lines', async () => {
    fake.inject({ match: { family: 'export' }, fault: { kind: 'garbageLine', atLine: 3 } });
    const lines = (await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' })).text.split(
      '\n',
    );
    expect(() => JSON.parse(lines[0] as string)).not.toThrow();
    expect(() => JSON.parse(lines[2] as string)).toThrow();
    fake.inject({ match: { family: 'export' }, fault: { kind: 'garbageLine', atLine: 2, mode: 'split' } });
    const split = (await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' })).text.split(
      '\n',
    );
    expect(() => JSON.parse(split[1] as string)).toThrow();
    expect(() => JSON.parse(split[2] as string)).toThrow();
    expect(JSON.parse(`${split[1]}${split[2]}`).event).toEqual(expect.any(String));
  });

  it('stalls after the headers until the client gives up', async () => {
    fake.inject({ match: { family: 'export' }, fault: { kind: 'slow', stall: true } });
    const started = performance.now();
    const outcome = await socketRequest(
      fake,
      exportPath(),
      { authorization: saAuth(fake), 'accept-encoding': 'identity' },
      300,
    );
    expect(outcome.ending).toBe('timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    const text = outcome.bytes.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(parseChunked(outcome.bytes).chunks).toHaveLength(0);
    // The server is not stuck: the next request is answered.
    expect((await seg()).status).toBe(200);
  });

  it('delays the status line and the chunks', async () => {
    fake.inject({ fault: { kind: 'slow', headerDelayMs: 150 } });
    let started = performance.now();
    expect((await seg()).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await using small = await startFakeMixpanel({
      days: 1,
      eventsPerDay: 20,
      chunkBytes: 1000,
      clock: 'frozen',
    });
    small.inject({ fault: { kind: 'slow', chunkDelayMs: 20 } });
    started = performance.now();
    const res = await exportRaw(small, { from_date: '2024-06-01', to_date: '2024-06-01' });
    expect(res.status).toBe(200);
    const chunks = Math.ceil(res.body.length / 1000);
    expect(chunks).toBeGreaterThan(5);
    expect(performance.now() - started).toBeGreaterThanOrEqual((chunks - 1) * 20 - 10);
  });

  it('expires the next Engage session page', async () => {
    await using small = await startFakeMixpanel({ days: 1, engagePageSize: 10, clock: 'frozen' });
    small.inject({ fault: { kind: 'sessionExpired' } });
    const first = await engage(small, {});
    expect(first.status).toBe(200);
    const expired = await engage(small, { session_id: first.body.session_id, page: '1' });
    expect(expired.status).toBe(400);
    expect(expired.body.error).toContain('session');
    expect(small.requests.at(-1)?.fault).toBe('sessionExpired');
    expect((await engage(small, { session_id: first.body.session_id, page: '1' })).status).toBe(200);
  });
});
