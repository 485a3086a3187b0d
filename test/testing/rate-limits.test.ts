import { describe, expect, it } from 'vitest';
import { startFakeMixpanel } from '../../src/testing/index.js';
import { apiUrl, engage, exportRaw, query, rawRequest, saAuth, socketRequest } from './helpers.js';

const names = { type: 'general' };

describe('rate limits on the fake clock', () => {
  it('enforces the hourly query quota with the real 429 and a rolling window', async () => {
    await using fake = await startFakeMixpanel({ days: 2, clock: 'frozen', quotas: { queryPerHour: 4 } });
    for (let i = 0; i < 4; i++) {
      expect((await query(fake, 'events/names', names)).status).toBe(200);
      fake.advance(1000);
    }
    const url = apiUrl(fake, '/api/query/events/names', names);
    const refused = await rawRequest(url, { headers: { authorization: saAuth(fake) } });
    expect(refused.status).toBe(429);
    expect(refused.headers['ratelimit-policy']).toBe(
      '"project";q=4;w=3600, "project-concurrency";q=5;qu="concurrent-requests"',
    );
    expect(refused.headers.ratelimit).toBe('"project";r=0;t=3596, "project-concurrency";r=5');
    expect(refused.headers['retry-after']).toBe('3596');
    expect(JSON.parse(refused.text)).toEqual({
      request: url,
      error:
        'Query rate limit exceeded for project_id: 1234567. This request exceeded the rate limit (5/4 queries running in the last hour). ' +
        'For more information, please consult our documentation at https://help.mixpanel.com/hc/en-us/articles/115004602563-Rate-Limits-for-Export-API-Endpoints',
    });
    expect(fake.requests.at(-1)).toMatchObject({ status: 429, countedAs: null, fault: null });
    fake.advance(3_595_000);
    expect((await query(fake, 'events/names', names)).status).toBe(429);
    fake.advance(1000);
    expect((await query(fake, 'events/names', names)).status).toBe(200);
    expect(fake.requests.at(-1)?.countedAs).toBe('query');
  });

  it('charges Engage page 0 to the query bucket and lets session pages through free', async () => {
    await using fake = await startFakeMixpanel({
      days: 1,
      engagePageSize: 50,
      clock: 'frozen',
      quotas: { queryPerHour: 1 },
    });
    const first = await engage(fake, {});
    expect(first.status).toBe(200);
    expect(fake.requests.at(-1)?.countedAs).toBe('query');
    for (let page = 1; page <= 3; page++) {
      const next = await engage(fake, { session_id: first.body.session_id, page: String(page) });
      expect(next.status).toBe(200);
      expect(fake.requests.at(-1)?.countedAs).toBeNull();
    }
    expect((await engage(fake, {})).status).toBe(429);
  });

  it('enforces 3 export requests per second and the hourly export quota', async () => {
    await using fake = await startFakeMixpanel({ days: 1, clock: 'frozen', quotas: { exportPerHour: 5 } });
    const range = { from_date: '2024-06-01', to_date: '2024-06-01', limit: '1' };
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push((await exportRaw(fake, range)).status);
    expect(burst).toEqual([200, 200, 200, 429]);
    fake.advance(1000);
    expect((await exportRaw(fake, range)).status).toBe(200);
    expect((await exportRaw(fake, range)).status).toBe(200);
    const hourly = await exportRaw(fake, range);
    expect(hourly.status).toBe(429);
    expect(hourly.headers['retry-after']).toBeUndefined();
    expect(JSON.parse(hourly.text).error).toContain('1234567');
    fake.advance(3_600_000);
    expect((await exportRaw(fake, range)).status).toBe(200);
  });

  it('counts streams still in flight against the concurrency limits', async () => {
    await using fake = await startFakeMixpanel({
      days: 1,
      clock: 'frozen',
      quotas: { exportConcurrency: 1 },
    });
    fake.inject({ match: { family: 'query' }, fault: { kind: 'slow', stall: true }, times: 5 });
    const path = `/api/query/events/names?project_id=${fake.projectId}&type=general`;
    const stalled = Array.from(
      { length: 5 },
      () => socketRequest(fake, path, { authorization: saAuth(fake) }, 2_000), // long enough to still be open on a loaded machine
    );
    while (fake.requests.filter((r) => r.status === 200).length < 5)
      await new Promise((r) => setTimeout(r, 10));
    const busy = await rawRequest(apiUrl(fake, '/api/query/events/names', names), {
      headers: { authorization: saAuth(fake) },
    });
    expect(busy.status).toBe(429);
    expect(busy.headers.ratelimit).toBe('"project";r=55, "project-concurrency";r=0;t=10');
    expect(JSON.parse(busy.text).error).toContain(
      'exceeded the concurrency limit (6/5 queries running concurrently)',
    );
    expect((await Promise.all(stalled)).every((o) => o.ending === 'timeout')).toBe(true);
    while (fake.requests.some((r) => r.durationMs === 0)) await new Promise((r) => setTimeout(r, 10));
    expect((await query(fake, 'events/names', names)).status).toBe(200);

    fake.inject({ match: { family: 'export' }, fault: { kind: 'slow', stall: true } });
    const exportPath = `/api/2.0/export?project_id=${fake.projectId}&from_date=2024-06-01&to_date=2024-06-01`;
    const holding = socketRequest(fake, exportPath, { authorization: saAuth(fake) }, 2_000);
    while (!fake.requests.some((r) => r.family === 'export' && r.status === 200))
      await new Promise((r) => setTimeout(r, 10));
    fake.advance(2000);
    const second = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' });
    expect(second.status).toBe(429);
    expect(second.text).toBe('too many export requests in progress for this project');
    await holding;
  });

  it("lets everything through with rateLimits: 'off'", async () => {
    await using fake = await startFakeMixpanel({
      days: 1,
      clock: 'frozen',
      rateLimits: 'off',
      quotas: { queryPerHour: 1 },
    });
    for (let i = 0; i < 6; i++) expect((await query(fake, 'events/names', names)).status).toBe(200);
  });
});
