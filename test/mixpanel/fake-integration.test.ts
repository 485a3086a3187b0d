/**
 * The client against the fake Mixpanel of `src/testing` (section 8): counts and contents come from
 * `fake.expected`, never from numbers pasted here.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, ApiError, AuthenticationError, RateLimitError } from '../../src/errors.js';
import type { Clock } from '../../src/mixpanel/clock.js';
import type { RawEvent } from '../../src/mixpanel/event-export.js';
import { MixpanelClient, type MixpanelClientOptions } from '../../src/mixpanel/mixpanel-client.js';
import { RateLimiterRegistry } from '../../src/mixpanel/rate-limiter.js';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import { collect, failure } from './support/local-server.js';

let fake: FakeMixpanel;

/**
 * A client clock that *is* the fake's frozen clock: every wait of the client moves the fake's time,
 * so the client's limiter and the fake's limiter see the same seconds and hours.
 */
class SharedClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private readonly server: FakeMixpanel) {}
  now(): number {
    return this.server.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(new AbortedError('wait'));
    this.server.advance(Math.max(0, ms));
    return new Promise((resolve) => setImmediate(resolve));
  }
}

beforeAll(async () => {
  fake = await startFakeMixpanel({
    seed: 7,
    days: 10,
    eventsPerDay: 300,
    users: 120,
    engagePageSize: 25,
    clock: 'frozen',
  });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function client(overrides: Partial<MixpanelClientOptions> = {}): MixpanelClient {
  return new MixpanelClient({
    auth: { kind: 'serviceAccount', ...fake.serviceAccount },
    baseUrl: fake.url,
    clock: new SharedClock(fake),
    retry: { random: () => 0.5 },
    rateLimits: { registry: new RateLimiterRegistry() },
    ...overrides,
  });
}

/** The expected export lines of a range, as the client should parse them. */
function expectedRaw(
  from: string,
  to: string,
  filter: { events?: string[]; where?: string } = {},
): RawEvent[] {
  return [...fake.expected.rawEvents(from, to, filter)].map((e) =>
    JSON.parse(JSON.stringify(e, bigintAware), reviveBig),
  );
}

// Round-trip through text so the comparison sees plain objects; bigints survive via a tagged string.
function bigintAware(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `__big__${value}` : value;
}
function reviveBig(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.startsWith('__big__') ? BigInt(value.slice(7)) : value;
}

describe('export against the fake', () => {
  it('returns exactly the expected lines of a day, big integers exact', async () => {
    const [day] = fake.expected.days();
    const events = await collect(client().exportEvents({ fromDate: day!, toDate: day! }));
    expect(events).toHaveLength(fake.expected.rawEventCount(day!, day!));
    expect(events).toEqual(expectedRaw(day!, day!));
    const withBig = events.find((e) => typeof e.properties.account_id === 'bigint');
    expect(withBig).toBeDefined();
    const requests = fake.requests.filter((r) => r.family === 'export');
    expect(requests).toHaveLength(1);
    expect(requests[0]!.gzip).toBe(true);
    expect(requests[0]!.countedAs).toBe('export');
  });

  it('exports a multi-day range with an event filter and a where', async () => {
    const days = fake.expected.days();
    const from = days[1]!;
    const to = days[3]!;
    const filter = { events: ['Purchase', 'Café Order'], where: 'defined(properties["$insert_id"])' };
    const events = await collect(client().exportEvents({ fromDate: from, toDate: to, ...filter }));
    expect(events.length).toBe(fake.expected.rawEventCount(from, to, filter));
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(['Purchase', 'Café Order']));
  });

  it('retries a range after terminated early, reset and cut, and stores it once', async () => {
    const day = fake.expected.days()[2]!;
    fake.inject({ match: { family: 'export' }, fault: { kind: 'terminatedEarly', afterLines: 50 } });
    fake.inject({ match: { family: 'export' }, fault: { kind: 'reset', afterBytes: 5000 }, nth: 2 });
    fake.inject({ match: { family: 'export' }, fault: { kind: 'cut', afterBytes: 3000 }, nth: 3 });
    const attempts: { attempt: number; rows: number; ok: boolean }[] = [];
    const stored = await client().exportRange({ fromDate: day, toDate: day }, async (events, info) => {
      const rows: RawEvent[] = [];
      try {
        for await (const e of events) rows.push(e);
      } catch (error) {
        attempts.push({ attempt: info.attempt, rows: rows.length, ok: false });
        throw error;
      }
      attempts.push({ attempt: info.attempt, rows: rows.length, ok: true });
      return rows;
    });
    expect(stored).toEqual(expectedRaw(day, day));
    expect(attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(attempts[0]!.rows).toBe(50);
    expect(fake.requests.filter((r) => r.family === 'export').map((r) => r.fault)).toEqual([
      'terminatedEarly',
      'reset',
      'cut',
      null,
    ]);
  });

  it('retries after a garbage line and a stalled stream', async () => {
    const day = fake.expected.days()[0]!;
    fake.inject({ match: { family: 'export' }, fault: { kind: 'garbageLine', atLine: 10, mode: 'split' } });
    fake.inject({
      match: { family: 'export' },
      fault: { kind: 'slow', stall: true, afterBytes: 2000 },
      nth: 2,
    });
    const messages: string[] = [];
    const rows = await client({ idleTimeoutMs: 1000 }).exportRange(
      { fromDate: day, toDate: day },
      async (events) => {
        try {
          return await collect(events);
        } catch (error) {
          messages.push((error as Error).message);
          throw error;
        }
      },
    );
    expect(rows).toEqual(expectedRaw(day, day));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/line 10 is not/);
    expect(messages[1]).toContain('stalled');
  });

  it('maps auth faults and does not retry them', async () => {
    const day = fake.expected.days()[0]!;
    for (const status of [401, 400] as const) {
      fake.reset();
      fake.inject({ match: { family: 'export' }, fault: { kind: 'auth', status } });
      const error = await failure(collect(client().exportEvents({ fromDate: day, toDate: day })));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).not.toContain(fake.serviceAccount.secret);
      expect(fake.requests.filter((r) => r.family === 'export')).toHaveLength(1);
    }
    fake.reset();
    fake.inject({ match: { family: 'export' }, fault: { kind: 'auth', status: 403 } });
    const forbidden = (await failure(
      collect(client().exportEvents({ fromDate: day, toDate: day })),
    )) as ApiError;
    expect(forbidden).toBeInstanceOf(ApiError);
    expect(forbidden.retryable).toBe(false);
  });

  it('refuses wrong credentials from the fake itself', async () => {
    const day = fake.expected.days()[0]!;
    const bad = client({ auth: { kind: 'serviceAccount', ...fake.serviceAccount, secret: 'wrong-secret' } });
    expect(await failure(collect(bad.exportEvents({ fromDate: day, toDate: day })))).toBeInstanceOf(
      AuthenticationError,
    );
  });

  it('works with the project secret', async () => {
    const day = fake.expected.days()[0]!;
    const legacy = client({ auth: { kind: 'projectSecret', secret: fake.projectSecret } });
    const events = await collect(legacy.exportEvents({ fromDate: day, toDate: day }));
    expect(events).toHaveLength(fake.expected.rawEventCount(day, day));
  });

  it('waits out an export 429 with Retry-After and a 5xx', async () => {
    const day = fake.expected.days()[0]!;
    fake.inject({
      match: { family: 'export' },
      fault: { kind: 'rateLimit', variant: 'export', retryAfter: 2, body: 'text' },
    });
    fake.inject({
      match: { family: 'export' },
      fault: { kind: 'status', status: 502, body: '<html>bad gateway</html>' },
      nth: 2,
    });
    const clock = new SharedClock(fake);
    const events = await collect(client({ clock }).exportEvents({ fromDate: day, toDate: day }));
    expect(events).toHaveLength(fake.expected.rawEventCount(day, day));
    expect(clock.sleeps).toEqual([2000, 1000]);
  });

  it('clamps a future to_date to the fake today', async () => {
    const today = fake.expected.today();
    const warnings: string[] = [];
    const c = client({ onWarning: (w) => warnings.push(w.code) });
    await collect(c.exportEvents({ fromDate: today, toDate: '2030-01-01' }));
    const exportReq = fake.requests.find((r) => r.family === 'export')!;
    expect(exportReq.status).toBe(200);
    expect(exportReq.query.to_date).toBe(today);
    expect(warnings).toEqual(['TO_DATE_CLAMPED']);
  });
});

describe('engage against the fake', () => {
  it('lists every profile once, in page order, and spends one query request', async () => {
    const profiles = await collect(client().queryProfiles());
    const expected = fake.expected.profiles();
    expect(profiles.map((p) => p.distinct_id)).toEqual(expected.map((p) => p.$distinct_id));
    expect(new Set(profiles.map((p) => p.distinct_id)).size).toBe(profiles.length);
    const engage = fake.requests.filter((r) => r.family === 'engage');
    expect(engage.length).toBe(Math.floor(expected.length / 25) + 1);
    expect(engage.filter((r) => r.countedAs === 'query')).toHaveLength(1);
    expect(engage.every((r) => r.bodyEncoding === 'form')).toBe(true);
    expect(await client().countProfiles()).toBe(expected.length);
  });

  it('keeps big-integer properties exact', async () => {
    const profiles = await collect(client().queryProfiles());
    const expected = fake.expected.profiles();
    const bigKeys = Object.entries(expected[0]!.$properties).filter(([, v]) => typeof v === 'bigint');
    expect(bigKeys.length).toBeGreaterThan(0);
    for (const [key, value] of bigKeys) expect(profiles[0]!.properties[key]).toBe(value);
  });

  it('filters by cohort and by group', async () => {
    const cohort = fake.expected.cohorts()[0]!;
    const members = await collect(client().queryProfiles({ cohortId: cohort.id, includeAllUsers: false }));
    expect(members.map((p) => p.distinct_id)).toEqual(
      fake.expected.profiles({ cohortId: cohort.id, includeAllUsers: false }).map((p) => p.$distinct_id),
    );
    const groupId = fake.expected.dataGroupId;
    const groups = await collect(client().queryProfiles({ groupId }));
    expect(groups.map((p) => p.distinct_id)).toEqual(
      fake.expected.profiles({ dataGroupId: groupId }).map((p) => p.$distinct_id),
    );
  });

  it('recovers from an expired session without repeating profiles', async () => {
    fake.inject({ match: { family: 'engage' }, fault: { kind: 'sessionExpired' } });
    const profiles = await collect(client().queryProfiles({ parallel: false }));
    expect(profiles.map((p) => p.distinct_id)).toEqual(fake.expected.profiles().map((p) => p.$distinct_id));
    const pageZero = fake.requests.filter((r) => r.family === 'engage' && r.body?.page === '0');
    expect(pageZero).toHaveLength(2);
  });
});

describe('discovery against the fake', () => {
  it('agrees with the seeded data', async () => {
    const c = client();
    const names = await c.eventNames({ limit: 100 });
    expect(new Set(names)).toEqual(new Set(fake.expected.eventNames()));
    const days = fake.expected.days();
    const from = days[0]!;
    const to = days[4]!;
    const seg = await c.segmentation({ event: 'Purchase', fromDate: from, toDate: to, unit: 'day' });
    const counts = fake.expected.countsByEventAndDay(from, to);
    expect(seg.data.series).toEqual(days.slice(0, 5));
    for (const d of seg.data.series) expect(seg.data.values.Purchase![d]).toBe(counts[d]?.Purchase ?? 0);
    const cohorts = await c.cohorts();
    expect(cohorts.map((x) => x.id)).toEqual(fake.expected.cohorts().map((x) => x.id));
    const funnels = await c.funnels();
    expect(funnels).toEqual(fake.expected.funnels().map((f) => ({ funnel_id: f.funnelId, name: f.name })));
    const funnel = await c.funnel({ funnelId: funnels[0]!.funnel_id, fromDate: from, toDate: to });
    for (const date of Object.keys(funnel.data)) {
      const steps = funnel.data[date]!.steps;
      expect(steps.length).toBeGreaterThan(1);
      for (let i = 1; i < steps.length; i++) expect(steps[i]!.count).toBeLessThanOrEqual(steps[i - 1]!.count);
    }
    const retention = await c.retention({ fromDate: from, toDate: to, bornEvent: 'Sign Up', unit: 'day' });
    for (const row of Object.values(retention)) expect(row.counts[0]).toBeLessThanOrEqual(row.first);
  });

  it('turns the fake hourly quota answer into RateLimitError', async () => {
    await using limited = await startFakeMixpanel({
      seed: 3,
      days: 2,
      eventsPerDay: 20,
      quotas: { queryPerHour: 2 },
      clock: 'frozen',
    });
    const c = new MixpanelClient({
      auth: { kind: 'serviceAccount', ...limited.serviceAccount },
      baseUrl: limited.url,
      clock: new SharedClock(limited),
      rateLimits: { registry: new RateLimiterRegistry() },
    });
    await c.eventNames();
    await c.eventNames();
    const error = (await c.eventNames().catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ bucket: 'query', kind: 'quota' });
    // The limiter learned the server's quota.
    expect(c.rateLimiter('query')!.limits.perHour).toBe(2);
  });
});
