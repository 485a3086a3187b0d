import { describe, expect, it } from 'vitest';
import { AbortedError, RateLimitError } from '../../src/errors.js';
import { ManualClock } from '../../src/mixpanel/clock.js';
import { splitRange } from '../../src/mixpanel/export-plan.js';
import { MixpanelClient } from '../../src/mixpanel/mixpanel-client.js';
import { parseRateLimitList, readRateLimitHeaders } from '../../src/mixpanel/rate-limit-headers.js';
import { DEFAULT_BUCKET_LIMITS, RateLimiter, RateLimiterRegistry } from '../../src/mixpanel/rate-limiter.js';
import { TEST_AUTH } from './support/local-server.js';

function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) n++;
    best = Math.max(best, n);
  }
  return best;
}

describe('RateLimiter', () => {
  it('never starts more than 3 export requests per second or 60 per hour', async () => {
    // Manual time: the clock moves only to the next pending wake-up, so recorded times are exact.
    const clock = new ManualClock({ autoAdvance: false });
    const limiter = new RateLimiter('export', DEFAULT_BUCKET_LIMITS.export, clock);
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: 130 }, async () => {
        const permit = await limiter.acquire();
        starts.push(clock.now());
        permit.release();
      }),
    );
    while (starts.length < 130) {
      await new Promise((r) => setImmediate(r));
      const next = clock.nextWakeAt;
      if (next !== undefined) clock.set(next);
    }
    await all;
    starts.sort((a, b) => a - b);
    expect(starts).toHaveLength(130);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(3);
    expect(maxInWindow(starts, 3_600_000)).toBeLessThanOrEqual(60);
    // 130 requests need at least two full windows.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(2 * 3_600_000);
  });

  it('holds the 6th concurrent query until a slot is released', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter('query', DEFAULT_BUCKET_LIMITS.query, clock);
    const permits = await Promise.all(Array.from({ length: 5 }, () => limiter.acquire()));
    let sixth = false;
    const pending = limiter.acquire().then((p) => {
      sixth = true;
      return p;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(sixth).toBe(false);
    expect(limiter.snapshot().inFlight).toBe(5);
    permits[0]!.release();
    permits[0]!.release(); // idempotent
    const p6 = await pending;
    expect(sixth).toBe(true);
    expect(limiter.snapshot().inFlight).toBe(5);
    p6.release();
    for (const p of permits.slice(1)) p.release();
    expect(limiter.snapshot().inFlight).toBe(0);
  });

  it('throws RateLimitError at once when the hourly wait exceeds maxWaitMs', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter('query', { ...DEFAULT_BUCKET_LIMITS.query, perHour: 3 }, clock);
    for (let i = 0; i < 3; i++) (await limiter.acquire({ maxWaitMs: 30_000 })).release();
    const error = await limiter.acquire({ maxWaitMs: 30_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    const rl = error as RateLimitError;
    expect(rl.bucket).toBe('query');
    expect(rl.kind).toBe('local');
    expect(rl.retryAt.getTime()).toBe(clock.now() + 3_600_000);
    expect(clock.sleeps).toEqual([]);
  });

  it('honours a server block and reports its kind', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter('query', DEFAULT_BUCKET_LIMITS.query, clock);
    limiter.blockUntil(clock.now() + 3_600_000, 'quota');
    const error = (await limiter.acquire({ maxWaitMs: 30_000 }).catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.kind).toBe('quota');
    limiter.blockUntil(clock.now() + 10_000, 'concurrency'); // earlier: ignored
    expect(limiter.snapshot().blockedUntil).toBe(clock.now() + 3_600_000);
  });

  it('waits through the clock for a short block', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter('query', DEFAULT_BUCKET_LIMITS.query, clock);
    const t0 = clock.now();
    limiter.blockUntil(t0 + 10_000, 'concurrency');
    (await limiter.acquire({ maxWaitMs: 30_000 })).release();
    expect(clock.sleeps).toEqual([10_000]);
    expect(clock.now()).toBe(t0 + 10_000);
  });

  it('learns quotas from RateLimit-Policy', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter('query', DEFAULT_BUCKET_LIMITS.query, clock);
    limiter.learn(
      readRateLimitHeaders(
        '"project";q=240;w=3600, "project-concurrency";q=10;qu="concurrent-requests"',
        undefined,
      ),
    );
    expect(limiter.limits).toEqual({ perHour: 240, windowMs: 3_600_000, concurrency: 10 });
  });

  it('cancels a wait when the signal fires', async () => {
    const clock = new ManualClock({ autoAdvance: false });
    const limiter = new RateLimiter('export', DEFAULT_BUCKET_LIMITS.export, clock);
    for (let i = 0; i < 3; i++) await limiter.acquire();
    const controller = new AbortController();
    const pending = limiter.acquire({ signal: controller.signal });
    await new Promise((r) => setTimeout(r, 5));
    expect(clock.pendingSleeps).toBe(1);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    // A concurrency wait is cancelled too.
    const busy = new RateLimiter('query', { ...DEFAULT_BUCKET_LIMITS.query, concurrency: 1 }, clock);
    await busy.acquire();
    const c2 = new AbortController();
    const waiting = busy.acquire({ signal: c2.signal });
    c2.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
  });

  it('plans start times with the rolling windows', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter('export', DEFAULT_BUCKET_LIMITS.export, clock);
    const starts = limiter.planStarts(61);
    const t0 = clock.now();
    expect(starts.slice(0, 4).map((t) => t - t0)).toEqual([0, 0, 0, 1000]);
    expect(starts[60]! - t0).toBe(3_600_000);
  });
});

describe('RateLimiterRegistry', () => {
  it('shares one limiter per (base URL, project, bucket) and clock', () => {
    const registry = new RateLimiterRegistry();
    const clock = new ManualClock();
    const a = registry.get(clock, { baseUrl: 'https://x', projectId: '1', bucket: 'export' });
    expect(registry.get(clock, { baseUrl: 'https://x', projectId: '1', bucket: 'export' })).toBe(a);
    expect(registry.get(clock, { baseUrl: 'https://x', projectId: '2', bucket: 'export' })).not.toBe(a);
    expect(registry.get(clock, { baseUrl: 'https://x', projectId: '1', bucket: 'query' })).not.toBe(a);
    expect(
      registry.get(new ManualClock(), { baseUrl: 'https://x', projectId: '1', bucket: 'export' }),
    ).not.toBe(a);
  });

  it('is used by clients on the same project', () => {
    const registry = new RateLimiterRegistry();
    const clock = new ManualClock();
    const options = { auth: { ...TEST_AUTH }, clock, rateLimits: { registry } };
    const c1 = new MixpanelClient(options);
    const c2 = new MixpanelClient(options);
    const c3 = new MixpanelClient({ ...options, region: 'eu' });
    expect(c1.rateLimiter('export')).toBe(c2.rateLimiter('export'));
    expect(c1.rateLimiter('export')).not.toBe(c3.rateLimiter('export'));
  });
});

describe('planExport', () => {
  it('counts requests and the least duration under the hourly budget', () => {
    const clock = new ManualClock({ now: Date.UTC(2024, 8, 1, 12) });
    const client = new MixpanelClient({
      auth: { ...TEST_AUTH },
      clock,
      rateLimits: { registry: new RateLimiterRegistry() },
    });
    const small = client.planExport('2024-06-01', '2024-06-30');
    expect(small.requests).toBe(30);
    expect(small.chunks[0]).toEqual({ fromDate: '2024-06-01', toDate: '2024-06-01' });
    expect(small.availableNow).toBe(30);
    expect(small.minDurationMs).toBe(9000); // 30 requests at 3 per second
    const big = client.planExport('2024-05-01', '2024-07-29');
    expect(big.requests).toBe(90);
    expect(big.availableNow).toBe(60);
    expect(big.minDurationMs).toBe(3_600_000 + 9000);
    expect(big.summary).toContain('90 export request(s)');
    const weekly = client.planExport('2024-06-01', '2024-06-30', 7);
    expect(weekly.chunks).toEqual(splitRange('2024-06-01', '2024-06-30', 7));
    expect(weekly.chunks.at(-1)).toEqual({ fromDate: '2024-06-29', toDate: '2024-06-30' });
    expect(() => client.planExport('2024-06-01', '2024-06-30', 101)).toThrow(/chunkDays/);
  });
});

describe('rate-limit headers', () => {
  it('parses the IETF draft structured lists', () => {
    expect(
      parseRateLimitList('"project";q=60;w=3600, "project-concurrency";q=5;qu="concurrent-requests"'),
    ).toEqual([
      { name: 'project', params: { q: 60, w: 3600 } },
      { name: 'project-concurrency', params: { q: 5, qu: 'concurrent-requests' } },
    ]);
    expect(readRateLimitHeaders(undefined, '"project";r=0;t=3600, "project-concurrency";r=3')).toEqual({
      exhausted: 'quota',
      resetMs: 3_600_000,
    });
    expect(readRateLimitHeaders(undefined, '"project";r=12, "project-concurrency";r=0;t=10')).toEqual({
      exhausted: 'concurrency',
      resetMs: 10_000,
    });
    expect(readRateLimitHeaders('garbage;;', '')).toEqual({});
  });
});
