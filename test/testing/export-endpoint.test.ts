import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import {
  apiUrl,
  dayOf,
  exportRaw,
  parseChunked,
  parseLines,
  rawRequest,
  saAuth,
  socketRequest,
} from './helpers.js';

describe('export filters', () => {
  let fake: FakeMixpanel;
  beforeAll(async () => {
    fake = await startFakeMixpanel({ seed: 11, days: 10, clock: 'frozen', rateLimits: 'off' });
  });
  afterAll(() => fake.close());

  it('returns the inclusive date range as text/plain JSON lines', async () => {
    const res = await exportRaw(fake, { from_date: '2024-06-03', to_date: '2024-06-05' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const lines = parseLines(res.text);
    expect(lines.length).toBe(fake.expected.rawEventCount('2024-06-03', '2024-06-05'));
    expect(new Set(lines.map((l) => dayOf(l.properties.time)))).toEqual(
      new Set(['2024-06-03', '2024-06-04', '2024-06-05']),
    );
  });

  it('filters by exact, case-sensitive event names', async () => {
    const events = ['Sign Up', 'Café Order'];
    const res = await exportRaw(fake, {
      from_date: '2024-06-01',
      to_date: '2024-06-10',
      event: JSON.stringify(events),
    });
    const lines = parseLines(res.text);
    expect(lines.length).toBe(fake.expected.rawEventCount('2024-06-01', '2024-06-10', { events }));
    expect(lines.length).toBeGreaterThan(500);
    expect(new Set(lines.map((l) => l.event))).toEqual(new Set(events));
    const none = await exportRaw(fake, {
      from_date: '2024-06-01',
      to_date: '2024-06-10',
      event: '["sign up"]',
    });
    expect(none.status).toBe(200);
    expect(none.text).toBe('');
  });

  it.each([
    'properties["$city"] == "Lyon" and properties["amount"] > 100',
    'properties["$time"] >= datetime(1717329600) and properties["$time"] < datetime("2024-06-02T13:00:00")',
    '"sale" in properties["filters"] or properties["mp_lib"] in ["iphone"]',
    'not defined(properties["$insert_id"])',
    'properties["distinct_id"] == "" or not defined(properties["distinct_id"])',
    'properties["account_id"] > 3500000000000000000',
    '"Kra" in properties["$city"] and properties["Cart Size"] >= 10',
  ])('filters with where: %s', async (where) => {
    const res = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-10', where });
    expect(res.status).toBe(200);
    const lines = parseLines(res.text);
    expect(lines.length).toBe(fake.expected.rawEventCount('2024-06-01', '2024-06-10', { where }));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(fake.expected.rawEventCount('2024-06-01', '2024-06-10'));
  });

  it('applies where to the right events', async () => {
    const where =
      'properties["$time"] >= datetime(1717329600) and properties["$time"] < datetime("2024-06-02T13:00:00")';
    const lines = parseLines(
      (await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-10', where })).text,
    );
    expect(lines.every((l) => l.properties.time >= 1717329600 && l.properties.time < 1717333200)).toBe(true);
  });

  it('stops at limit and writes ms with time_in_ms', async () => {
    const limited = parseLines(
      (await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01', limit: '25' })).text,
    );
    expect(limited).toHaveLength(25);
    const ms = parseLines(
      (
        await exportRaw(fake, {
          from_date: '2024-06-01',
          to_date: '2024-06-01',
          limit: '25',
          time_in_ms: 'true',
        })
      ).text,
    );
    expect(ms.map((l) => Math.floor(l.properties.time / 1000))).toEqual(
      limited.map((l) => l.properties.time),
    );
    expect(ms.some((l) => l.properties.time % 1000 !== 0)).toBe(true);
  });

  it('answers an empty range with 200 and an empty body', async () => {
    const res = await exportRaw(fake, { from_date: '2024-05-01', to_date: '2024-05-31' });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
  });

  it('serves export only under /api/2.0', async () => {
    const res = await rawRequest(
      apiUrl(fake, '/api/query/export', { from_date: '2024-06-01', to_date: '2024-06-01' }),
      {
        headers: { authorization: saAuth(fake) },
      },
    );
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.text).error).toContain('/api/query/export');
  });
});

describe('export validation', () => {
  let fake: FakeMixpanel;
  beforeAll(async () => {
    fake = await startFakeMixpanel({ days: 5, clock: 'frozen', rateLimits: 'off' });
  });
  afterAll(() => fake.close());

  it.each([
    [{ from_date: '2024-06-01', to_date: '2024-06-07' }, 'to_date cannot be later than today'],
    [{ from_date: '2024-06-01' }, 'to_date'],
    [{ from_date: '2024-6-1', to_date: '2024-06-02' }, 'from_date'],
    [{ from_date: '2024-06-31', to_date: '2024-07-01' }, 'from_date'],
    [{ from_date: '1999-12-31', to_date: '2024-06-01' }, 'bad year'],
    [{ from_date: '2024-06-03', to_date: '2024-06-02' }, 'cannot be later than to_date'],
    [{ from_date: '2024-06-01', to_date: '2024-06-01', limit: '100001' }, 'limit'],
    [{ from_date: '2024-06-01', to_date: '2024-06-01', limit: 'ten' }, 'limit'],
    [{ from_date: '2024-06-01', to_date: '2024-06-01', event: 'Sign Up' }, 'event'],
    [{ from_date: '2024-06-01', to_date: '2024-06-01', event: '[1, 2]' }, 'event'],
    [
      { from_date: '2024-06-01', to_date: '2024-06-01', where: 'properties["amount"] + 1 > 2' },
      'properties["amount"] + 1 > 2',
    ],
    [{ from_date: '2024-06-01', to_date: '2024-06-01', where: 'floor(properties["amount"]) == 2' }, 'floor'],
  ])('rejects %j with a 400 naming the problem', async (params, fragment) => {
    const res = await exportRaw(fake, params as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.text) as { request: string; error: string };
    expect(body.error).toContain(fragment);
    expect(body.request).toContain('/api/2.0/export');
    const record = fake.requests.at(-1);
    expect(record?.status).toBe(400);
    expect(record?.fault).toBeNull();
  });

  it('accepts to_date equal to today by the fake clock, and follows the clock', async () => {
    expect((await exportRaw(fake, { from_date: '2024-06-06', to_date: '2024-06-06' })).status).toBe(200);
    expect((await exportRaw(fake, { from_date: '2024-06-07', to_date: '2024-06-07' })).status).toBe(400);
    fake.setNow('2024-06-03T08:00:00Z');
    expect((await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-04' })).status).toBe(400);
    expect((await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-03' })).status).toBe(200);
    fake.reset();
  });
});

describe('export wire format', () => {
  it('gzips only when asked and the body is over 1400 bytes', async () => {
    await using fake = await startFakeMixpanel({ days: 2, clock: 'frozen', rateLimits: 'off' });
    const params = { from_date: '2024-06-01', to_date: '2024-06-02' };
    const plain = await exportRaw(fake, params);
    const zipped = await exportRaw(fake, params, { gzip: true });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.raw.length).toBeLessThan(plain.raw.length / 3);
    expect(zipped.body.equals(plain.body)).toBe(true);
    expect(fake.requests.at(-1)?.gzip).toBe(true);
    expect(fake.requests.at(-1)?.bytesSent).toBe(zipped.raw.length);
    expect(fake.requests.at(-2)?.gzip).toBe(false);

    const small = await exportRaw(fake, { ...params, limit: '2' }, { gzip: true });
    expect(small.body.length).toBeLessThanOrEqual(1400);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(parseLines(small.text)).toHaveLength(2);

    const deflateOnly = await exportRaw(fake, params, { headers: { 'accept-encoding': 'deflate, br' } });
    expect(deflateOnly.headers['content-encoding']).toBeUndefined();
    expect(deflateOnly.body.equals(plain.body)).toBe(true);
  });

  it('cuts the body into chunkBytes chunks at arbitrary offsets, mid-line and mid-character', async () => {
    await using fake = await startFakeMixpanel({
      days: 1,
      chunkBytes: 997,
      clock: 'frozen',
      rateLimits: 'off',
    });
    const path = `/api/2.0/export?project_id=${fake.projectId}&from_date=2024-06-01&to_date=2024-06-01`;
    const reference = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' });
    const outcome = await socketRequest(fake, path, {
      authorization: saAuth(fake),
      'accept-encoding': 'identity',
    });
    const framed = parseChunked(outcome.bytes);
    expect(framed.complete).toBe(true);
    expect(framed.chunks.length).toBeGreaterThan(500);
    expect(framed.chunks.slice(0, -1).every((c) => c.length === 997)).toBe(true);
    expect(Buffer.concat(framed.chunks).equals(reference.body)).toBe(true);
    // Some chunk ends inside a line, and some inside a multi-byte UTF-8 character.
    expect(framed.chunks.some((c) => c[c.length - 1] !== 0x0a)).toBe(true);
    const endsMidCharacter = framed.chunks.some((_chunk, i) => {
      // The next chunk starts with a UTF-8 continuation byte: this one ended inside a character.
      const next = framed.chunks[i + 1];
      return next !== undefined && (next[0] as number) >= 0x80 && (next[0] as number) < 0xc0;
    });
    expect(endsMidCharacter).toBe(true);
  });

  it('flushes gzip per chunk, so compressed frames also split lines', async () => {
    await using fake = await startFakeMixpanel({
      days: 1,
      chunkBytes: 4096,
      clock: 'frozen',
      rateLimits: 'off',
    });
    const path = `/api/2.0/export?project_id=${fake.projectId}&from_date=2024-06-01&to_date=2024-06-01`;
    const reference = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' });
    const outcome = await socketRequest(fake, path, {
      authorization: saAuth(fake),
      'accept-encoding': 'gzip',
    });
    const framed = parseChunked(outcome.bytes);
    expect(framed.head).toMatch(/content-encoding: gzip/i);
    expect(framed.complete).toBe(true);
    expect(framed.chunks.length).toBeGreaterThan(reference.body.length / 4096);
    expect(gunzipSync(Buffer.concat(framed.chunks)).equals(reference.body)).toBe(true);
  });

  it('reports lines and bytes in the request log', async () => {
    await using fake = await startFakeMixpanel({ days: 1, clock: 'frozen' });
    const res = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' });
    const record = fake.requests.at(-1);
    expect(record?.linesSent).toBe(parseLines(res.text).length);
    expect(record?.bytesSent).toBe(res.raw.length);
    expect(record?.countedAs).toBe('export');
  });
});
