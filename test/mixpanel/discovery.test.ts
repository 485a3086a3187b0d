import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, InvalidArgumentError, RateLimitError } from '../../src/errors.js';
import { ManualClock } from '../../src/mixpanel/clock.js';
import { type LocalServer, startServer, testClient } from './support/local-server.js';

/** Canned answers, taken from the examples of section 5 (with its quirks). */
const ANSWERS: Record<string, string> = {
  '/api/query/events/names': '["Page View", "Purchase", "Sign Up"]',
  '/api/query/events/top':
    '{"events": [{"amount": 1840, "event": "Page View", "percent_change": 0.12}, {"amount": 96, "event": "Purchase", "percent_change": -0.31}], "type": "general"}',
  '/api/query/events/properties/top':
    '{"amount": {"count": 812}, "currency": {"count": 812}, "$duration_s": {}}',
  '/api/query/events/properties/values': '["USD", "EUR", "GBP"]',
  '/api/query/segmentation':
    '{"data": {"series": ["2024-06-03", "2024-06-01", "2024-06-02"], "values": {"Purchase": {"2024-06-01": 96, "2024-06-03": 88}, "Sign Up": {}}}, "legend_size": 2}',
  '/api/query/funnels/list': '[{"funnel_id": 7509, "name": "Signup to purchase"}]',
  '/api/query/funnels':
    '{"meta": {"dates": ["2024-06-01"]}, "data": {"2024-06-01": {"steps": [{"count": 410, "avg_time": null, "avg_time_from_start": null, "step_conv_ratio": 1, "overall_conv_ratio": 1, "goal": "Sign Up", "event": "Sign Up"}, {"count": 57, "avg_time": 5120, "avg_time_from_start": 5120, "step_conv_ratio": 0.139, "overall_conv_ratio": 0.139, "goal": "Purchase", "event": "Purchase", "custom_event": true, "custom_event_id": 9, "step_label": "Bought"}], "analysis": {"completion": 57, "starting_amount": 410, "steps": 2, "worst": 1}}}}',
  '/api/query/retention':
    '{"2024-06-01": {"counts": [410, 122, 95, 80], "first": 410}, "2024-06-02": {"counts": [388, 117, 90], "first": 388}}',
  '/api/query/cohorts/list':
    '[{"id": 12345, "name": "Power users", "count": 311, "description": "", "created": "2024-05-01 10:00:00", "is_visible": 1, "project_id": 1234567}]',
};

let server: LocalServer;
/** Overrides by path; `times` limits how many requests get the override. */
let status: Record<string, { code: number; body: string; headers?: Record<string, string>; times?: number }> =
  {};

beforeAll(async () => {
  server = await startServer((req, res) => {
    const override = status[req.path];
    if (override && (override.times === undefined || override.times-- > 0)) {
      res.writeHead(override.code, { 'Content-Type': 'application/json', ...override.headers });
      res.end(override.body);
      return;
    }
    const answer = ANSWERS[req.path];
    res.writeHead(answer ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(answer ?? '{"error":"not found"}');
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  status = {};
});

describe('discovery', () => {
  it('lists event names, top events, top properties and values', async () => {
    const { client } = testClient(server.url);
    expect(await client.eventNames({ limit: 3 })).toEqual(['Page View', 'Purchase', 'Sign Up']);
    expect(server.requests[0]!.query).toEqual({ project_id: '1234567', type: 'general', limit: '3' });
    expect(await client.topEvents({ type: 'unique', limit: 2 })).toEqual({
      type: 'general',
      events: [
        { event: 'Page View', amount: 1840, percent_change: 0.12 },
        { event: 'Purchase', amount: 96, percent_change: -0.31 },
      ],
    });
    expect(await client.topProperties({ event: 'Purchase', limit: 3 })).toEqual([
      { name: 'amount', count: 812 },
      { name: 'currency', count: 812 },
      { name: '$duration_s', count: undefined },
    ]);
    expect(await client.propertyValues({ event: 'Purchase', name: 'currency' })).toEqual([
      'USD',
      'EUR',
      'GBP',
    ]);
    expect(server.requests.map((r) => r.path)).toEqual([
      '/api/query/events/names',
      '/api/query/events/top',
      '/api/query/events/properties/top',
      '/api/query/events/properties/values',
    ]);
    expect(server.requests[3]!.query).toMatchObject({ event: 'Purchase', name: 'currency' });
  });

  it('normalises segmentation: sorted series, missing days as 0', async () => {
    const { client } = testClient(server.url);
    const result = await client.segmentation({
      event: 'Purchase',
      fromDate: '2024-06-01',
      toDate: '2024-06-03',
      unit: 'day',
    });
    expect(result).toEqual({
      data: {
        series: ['2024-06-01', '2024-06-02', '2024-06-03'],
        values: {
          Purchase: { '2024-06-01': 96, '2024-06-02': 0, '2024-06-03': 88 },
          'Sign Up': { '2024-06-01': 0, '2024-06-02': 0, '2024-06-03': 0 },
        },
      },
      legend_size: 2,
    });
    expect(server.requests[0]!.query).toEqual({
      project_id: '1234567',
      event: 'Purchase',
      from_date: '2024-06-01',
      to_date: '2024-06-03',
      unit: 'day',
    });
  });

  it('reads funnels, retention and cohorts', async () => {
    const { client } = testClient(server.url);
    expect(await client.funnels()).toEqual([{ funnel_id: 7509, name: 'Signup to purchase' }]);
    const f = await client.funnel({ funnelId: 7509, fromDate: '2024-06-01', toDate: '2024-06-01' });
    const steps = f.data['2024-06-01']!.steps;
    expect(steps.map((s) => s.avg_time)).toEqual([null, 5120]);
    expect(steps[1]).toMatchObject({ custom_event: true, step_label: 'Bought', count: 57 });
    expect(f.data['2024-06-01']!.analysis).toEqual({
      completion: 57,
      starting_amount: 410,
      steps: 2,
      worst: 1,
    });
    expect(f.meta.dates).toEqual(['2024-06-01']);
    const r = await client.retention({
      fromDate: '2024-06-01',
      toDate: '2024-06-02',
      bornEvent: 'Sign Up',
      unit: 'day',
      intervalCount: 3,
    });
    expect(r['2024-06-01']).toEqual({ counts: [410, 122, 95, 80], first: 410 });
    const cohorts = await client.cohorts();
    expect(cohorts[0]).toMatchObject({ id: 12345, name: 'Power users', count: 311, project_id: 1234567 });
    const cohortReq = server.requests.find((q) => q.path === '/api/query/cohorts/list')!;
    expect(cohortReq.method).toBe('POST');
    expect(cohortReq.query.project_id).toBe('1234567');
    const retReq = server.requests.find((q) => q.path === '/api/query/retention')!;
    expect(retReq.query).toMatchObject({ born_event: 'Sign Up', interval_count: '3', unit: 'day' });
  });

  it('clamps to_date of live queries and warns', async () => {
    const { client, warnings } = testClient(server.url, {
      clock: new ManualClock({ now: Date.UTC(2024, 5, 2, 8) }),
    });
    await client.segmentation({ event: 'Purchase', fromDate: '2024-06-01', toDate: '2024-06-30' });
    expect(server.requests[0]!.query.to_date).toBe('2024-06-02');
    expect(warnings.map((w) => w.code)).toEqual(['TO_DATE_CLAMPED']);
  });

  it('validates required parameters', async () => {
    const { client } = testClient(server.url);
    await expect(client.retention({ fromDate: '2024-06-01', toDate: '2024-06-02' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(client.topProperties({ event: '' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      client.segmentation({ event: 'x', fromDate: '1999-01-01', toDate: '2024-06-01' }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(server.requests).toHaveLength(0);
  });

  it('maps a query 429 concurrency answer to a short wait, and a quota answer to RateLimitError', async () => {
    const { client, clock } = testClient(server.url);
    status['/api/query/events/names'] = {
      times: 1,
      code: 429,
      body: '{"error":"exceeded the concurrency limit (6/5 queries running concurrently)."}',
      headers: {
        'RateLimit-Policy': '"project";q=60;w=3600, "project-concurrency";q=5;qu="concurrent-requests"',
        RateLimit: '"project";r=40, "project-concurrency";r=0;t=10',
      },
    };
    expect(await client.eventNames()).toEqual(['Page View', 'Purchase', 'Sign Up']);
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([10_000]);

    status['/api/query/events/top'] = {
      code: 429,
      body: '{"request":"x","error":"Query rate limit exceeded for project_id: 1234567. (61/60 queries running in the last hour)"}',
      headers: { 'Retry-After': '3600', RateLimit: '"project";r=0;t=3600, "project-concurrency";r=3' },
    };
    const error = (await client.topEvents().catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ bucket: 'query', kind: 'quota' });
    expect(error.message).toContain('61/60');
  });

  it('treats a load-shedding 429 without headers as retryable with backoff', async () => {
    const { client, clock } = testClient(server.url, { retry: { maxAttempts: 3, random: () => 0.5 } });
    status['/api/query/funnels/list'] = {
      code: 429,
      body: '{"error":"Query rate limit exceeded for project_id: 1234567 For more information, please consult our documentation"}',
    };
    const error = (await client.funnels().catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.kind).toBe('loadShed');
    expect(server.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([500, 1000]);
  });

  it('reports unexpected bodies and 404s', async () => {
    const { client } = testClient(server.url);
    status['/api/query/events/names'] = { code: 200, body: '{"not":"an array"}' };
    await expect(client.eventNames()).rejects.toThrow(/unexpected body/);
    status['/api/query/funnels/list'] = { code: 404, body: '{"error":"no such endpoint"}' };
    const e = (await client.funnels().catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 404, retryable: false, endpoint: '/api/query/funnels/list' });
  });
});
