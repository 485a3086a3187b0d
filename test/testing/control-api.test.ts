import { describe, expect, it } from 'vitest';
import { type FakeRequestRecord, runFakeServer, startFakeMixpanel } from '../../src/testing/index.js';
import { engage, exportRaw, parseLines, query, rawRequest } from './helpers.js';

async function control(url: string, method: string, path: string, body?: unknown) {
  const res = await rawRequest(new URL(path, url).toString(), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: JSON.parse(res.text) as unknown };
}

describe('request log', () => {
  it('records every request in arrival order with the documented fields', async () => {
    await using fake = await startFakeMixpanel({ days: 1, clock: 'frozen' });
    const exported = await exportRaw(
      fake,
      { from_date: '2024-06-01', to_date: '2024-06-01' },
      { gzip: true },
    );
    await engage(fake, { where: 'properties["plan"] == "team"' });
    await query(fake, 'nowhere');
    const records = fake.requests;
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    const [exp, eng, unknown] = records as [FakeRequestRecord, FakeRequestRecord, FakeRequestRecord];
    expect(exp).toEqual({
      seq: 1,
      receivedAt: fake.now(),
      method: 'GET',
      path: '/api/2.0/export',
      family: 'export',
      query: { project_id: '1234567', from_date: '2024-06-01', to_date: '2024-06-01' },
      body: null,
      bodyEncoding: 'none',
      principal: { kind: 'serviceAccount', user: fake.serviceAccount.username },
      acceptEncoding: 'gzip',
      status: 200,
      gzip: true,
      bytesSent: exported.raw.length,
      linesSent: parseLines(exported.text).length,
      countedAs: 'export',
      fault: null,
      durationMs: expect.any(Number),
    });
    expect(exp.durationMs).toBeGreaterThan(0);
    expect(eng).toMatchObject({
      method: 'POST',
      family: 'engage',
      body: { where: 'properties["plan"] == "team"' },
      bodyEncoding: 'form',
      countedAs: 'query',
      gzip: false,
      linesSent: 0,
    });
    expect(unknown).toMatchObject({ family: 'unknown', status: 404, countedAs: null });
    expect(Object.isFrozen(records)).toBe(true);
    fake.clearRequests();
    expect(fake.requests).toHaveLength(0);
    await query(fake, 'events/names', { type: 'general' });
    expect(fake.requests[0]?.seq).toBe(4);
  });
});

describe('control API', () => {
  it('exposes requests, faults, the clock, reset and ground truth over HTTP', async () => {
    const { fake, line, announcement } = await runFakeServer({ seed: 7, days: 3, clock: 'frozen' });
    try {
      expect(JSON.parse(line)).toEqual({
        url: fake.url,
        username: fake.serviceAccount.username,
        secret: fake.serviceAccount.secret,
        projectId: '1234567',
      });
      expect(announcement.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      await query(fake, 'events/names', { type: 'general' });
      const requests = await control(fake.url, 'GET', '/__fake/requests');
      expect(requests.status).toBe(200);
      expect((requests.body as FakeRequestRecord[])[0]).toMatchObject({ family: 'query', status: 200 });

      const queued = await control(fake.url, 'POST', '/__fake/faults', [
        { match: { family: 'export' }, fault: { kind: 'terminatedEarly', afterLines: 2 }, times: 2 },
        { match: { path: '/api/query/events/names' }, fault: { kind: 'status', status: 503 } },
      ]);
      expect(queued).toEqual({ status: 201, body: { queued: 2 } });
      expect(((await control(fake.url, 'GET', '/__fake/faults')).body as unknown[]).length).toBe(2);
      const cut = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' });
      expect(cut.text.split('\n')[2]).toBe('terminated early');
      expect((await query(fake, 'events/names', { type: 'general' })).status).toBe(503);
      expect((await control(fake.url, 'POST', '/__fake/faults', { fault: { kind: 'nope' } })).status).toBe(
        400,
      );

      const start = fake.now();
      expect((await control(fake.url, 'POST', '/__fake/clock', { advanceMs: 60_000 })).body).toMatchObject({
        now: start + 60_000,
        mode: 'frozen',
      });
      expect(
        (await control(fake.url, 'POST', '/__fake/clock', { now: '2024-06-02T00:00:00Z' })).body,
      ).toMatchObject({
        now: Date.parse('2024-06-02T00:00:00Z'),
        iso: '2024-06-02T00:00:00.000Z',
      });
      expect(fake.now()).toBe(Date.parse('2024-06-02T00:00:00Z'));

      const truth = (
        await control(fake.url, 'GET', '/__fake/expected?from_date=2024-06-01&to_date=2024-06-01')
      ).body as {
        rawEventCount: number;
        dedupedEventCount: number;
      };
      expect(truth.rawEventCount).toBe(fake.expected.rawEventCount('2024-06-01', '2024-06-01'));
      expect(truth.dedupedEventCount).toBeLessThan(truth.rawEventCount);

      expect((await control(fake.url, 'POST', '/__fake/reset')).body).toEqual({ reset: true });
      expect(fake.now()).toBe(start);
      // The log starts over, the reset request included.
      expect(fake.requests).toHaveLength(0);
      expect(((await control(fake.url, 'GET', '/__fake/faults')).body as unknown[]).length).toBe(0);
      expect((await control(fake.url, 'GET', '/__fake/nothing')).status).toBe(404);
    } finally {
      await fake.close();
    }
  });
});

describe('pointing a client at the fake', () => {
  it('describes itself through env(), serviceAccount and projectSecret, and closes with await using', async () => {
    let url = '';
    {
      await using fake = await startFakeMixpanel({ seed: 7, days: 30, engagePageSize: 100 });
      url = fake.url;
      expect(fake.env()).toEqual({
        MP_API_BASE_URL: fake.url,
        MP_USERNAME: fake.serviceAccount.username,
        MP_SECRET: fake.serviceAccount.secret,
        MP_PROJECT_ID: '1234567',
        MP_REGION: 'us',
      });
      expect(fake.projectSecret).not.toBe(fake.serviceAccount.secret);
      expect((await fetch(`${url}/__fake/clock`)).status).toBe(200);
    }
    await expect(fetch(`${url}/__fake/clock`)).rejects.toThrow();
  });
});
