import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import { dayOf, dedupe, type ExportLine, exportRaw, parseLines } from './helpers.js';

const bigintJson = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

describe('seeded data set', () => {
  let fake: FakeMixpanel;
  let body: string;
  let lines: ExportLine[];

  beforeAll(async () => {
    fake = await startFakeMixpanel({ seed: 3, clock: 'frozen', rateLimits: 'off' });
    const res = await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-30' });
    expect(res.status).toBe(200);
    body = res.text;
    lines = parseLines(body);
  });
  afterAll(() => fake.close());

  it('serves exactly the lines the model says are visible', () => {
    expect(lines.length).toBe(fake.expected.rawEventCount('2024-06-01', '2024-06-30'));
    expect(lines.length).toBeGreaterThan(50_000);
    expect(dedupe(lines).length).toBe(fake.expected.dedupedEventCount('2024-06-01', '2024-06-30'));
  });

  it('writes each line exactly as the object model, key order included', () => {
    const expected = [...fake.expected.rawEvents('2024-06-01', '2024-06-30')];
    expect(lines.length).toBe(expected.length);
    for (let i = 0; i < lines.length; i += 97) expect(bigintJson(lines[i])).toBe(bigintJson(expected[i]));
  });

  it('contains duplicates that share the dedup key, with a later processing time and another $city', () => {
    const byId = new Map<string, ExportLine[]>();
    for (const line of lines) {
      const id = line.properties.$insert_id;
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), line]);
    }
    const groups = [...byId.values()].filter((g) => g.length > 1);
    // 2% duplicate rate over ~60k lines.
    expect(groups.length).toBeGreaterThan(600);
    expect(groups.length).toBeLessThan(1800);
    for (const group of groups) {
      // The original is the copy processed first; every copy differs from it in $city.
      const [first, ...others] = [...group].sort(
        (a, b) => a.properties.mp_processing_time_ms - b.properties.mp_processing_time_ms,
      ) as [ExportLine, ...ExportLine[]];
      for (const other of others) {
        expect(other.event).toBe(first.event);
        expect(other.properties.distinct_id).toBe(first.properties.distinct_id);
        expect(other.properties.time).toBe(first.properties.time);
        expect(other.properties.mp_processing_time_ms).not.toBe(first.properties.mp_processing_time_ms);
        expect(other.properties.$city).not.toBe(first.properties.$city);
      }
      const winner = group.reduce((a, b) =>
        b.properties.mp_processing_time_ms > a.properties.mp_processing_time_ms ? b : a,
      );
      expect(bigintJson(fake.expected.event(first.properties.$insert_id as string))).toBe(bigintJson(winner));
      expect(fake.expected.eventCopies(first.properties.$insert_id as string)).toHaveLength(group.length);
    }
    // The later copy does not always come later in the stream.
    const earlierWinner = groups.some(
      (g) =>
        (g[0] as ExportLine).properties.mp_processing_time_ms >
        (g[1] as ExportLine).properties.mp_processing_time_ms,
    );
    expect(earlierWinner).toBe(true);
  });

  it('has events without $insert_id and with empty or absent distinct_id', () => {
    const noId = lines.filter((l) => l.properties.$insert_id === undefined);
    expect(noId.length).toBeGreaterThan(150);
    expect(noId.length).toBeLessThan(600);
    expect(lines.filter((l) => l.properties.distinct_id === '').length).toBeGreaterThan(50);
    expect(lines.filter((l) => !('distinct_id' in l.properties)).length).toBeGreaterThan(10);
  });

  it('has late events, processed hours or days after they happened', () => {
    const late = lines.filter(
      (l) => l.properties.mp_processing_time_ms - l.properties.time * 1000 > 3_600_000,
    );
    expect(late.length).toBeGreaterThan(300);
    expect(
      late.some((l) => l.properties.mp_processing_time_ms - l.properties.time * 1000 > 2 * 86_400_000),
    ).toBe(true);
    expect(late.filter((l) => l.properties.$import === true).length).toBeGreaterThan(300);
  });

  it('writes 64-bit ids as bare digits above 2^53', () => {
    const matches = body.match(/"account_id":(\d+)[,}]/g) ?? [];
    expect(matches.length).toBeGreaterThan(1000);
    for (const match of matches.slice(0, 200)) {
      const digits = (/(\d+)/.exec(match) as RegExpExecArray)[1] as string;
      expect(digits).toHaveLength(19);
      expect(BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    }
    const parsed = lines.find((l) => l.properties.account_id !== undefined);
    expect(typeof parsed?.properties.account_id).toBe('bigint');
  });

  it('carries awkward text: raw U+2028/U+2029, escaped newlines, quotes, emoji, non-ASCII names', () => {
    expect(body).toContain('line\u2028separator');
    expect(body).toContain('para\u2029graph');
    expect(body).not.toContain('\\u2028');
    expect(body).toContain('multi\\nline');
    expect(body).toContain('say \\"hi\\"');
    expect(body).toContain('🎉');
    const names = new Set(lines.map((l) => l.event));
    expect(names.has('Café Order')).toBe(true);
    expect([...names].some((n) => n.includes(' '))).toBe(true);
    // Only \n separates lines: no line is broken by the raw separators.
    expect(body.split('\n').filter(Boolean)).toHaveLength(lines.length);
  });

  it('has case twins, $ twins, deep objects, lists of objects and nulls', () => {
    expect(lines.some((l) => 'utm_source' in l.properties && 'UTM_Source' in l.properties)).toBe(true);
    expect(lines.some((l) => '$browser' in l.properties && 'browser' in l.properties)).toBe(true);
    const cart = lines.find((l) => l.event === 'Add To Cart');
    const product = cart?.properties.product as { details: { dims: { w: number } } };
    expect(typeof product.details.dims.w).toBe('number');
    const purchase = lines.find((l) => l.event === 'Purchase' && l.properties.coupon === null);
    expect(Array.isArray(purchase?.properties.items)).toBe(true);
    const items = purchase?.properties.items as { sku: string }[];
    expect(typeof items[0]?.sku).toBe('string');
  });

  it('emits each day in a fixed order that is not sorted by time', () => {
    const firstDay = lines
      .filter((l) => dayOf(l.properties.time) === '2024-06-01')
      .map((l) => l.properties.time);
    const sorted = [...firstDay].sort((a, b) => a - b);
    expect(firstDay).not.toEqual(sorted);
  });

  it('varies volume by weekday', () => {
    const counts = Object.values(fake.expected.countsByEventAndDay('2024-06-01', '2024-06-28')).map((day) =>
      Object.values(day).reduce((a, b) => a + b, 0),
    );
    expect(Math.max(...counts) / Math.min(...counts)).toBeGreaterThan(1.2);
  });
});

describe('determinism', () => {
  it('gives byte-identical export bodies for the same seed, plain and gzip', async () => {
    await using a = await startFakeMixpanel({ seed: 7, days: 3, clock: 'frozen' });
    await using b = await startFakeMixpanel({ seed: 7, days: 3, clock: 'frozen' });
    await using c = await startFakeMixpanel({ seed: 8, days: 3, clock: 'frozen' });
    const params = { from_date: '2024-06-01', to_date: '2024-06-03' };
    const [ra, rb, rc] = await Promise.all([
      exportRaw(a, params),
      exportRaw(b, params),
      exportRaw(c, params),
    ]);
    expect(ra.body.length).toBeGreaterThan(100_000);
    expect(ra.body.equals(rb.body)).toBe(true);
    expect(ra.body.equals(rc.body)).toBe(false);
    const [ga, gb] = await Promise.all([
      exportRaw(a, params, { gzip: true }),
      exportRaw(b, params, { gzip: true }),
    ]);
    expect(ga.raw.equals(gb.raw)).toBe(true);
    expect(ga.body.equals(ra.body)).toBe(true);
    expect(a.serviceAccount).toEqual(b.serviceAccount);
    expect(a.serviceAccount.secret).not.toBe(c.serviceAccount.secret);
  });

  it("sorts lines by time with order: 'time'", async () => {
    await using fake = await startFakeMixpanel({
      days: 1,
      eventsPerDay: 500,
      order: 'time',
      clock: 'frozen',
    });
    const times = parseLines(
      (await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' })).text,
    ).map((l) => l.properties.time);
    expect(times.length).toBeGreaterThan(400);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it('turns awkward text and big integers off on request', async () => {
    await using fake = await startFakeMixpanel({
      days: 1,
      eventsPerDay: 3000,
      awkwardText: false,
      bigIntegers: false,
      clock: 'frozen',
    });
    const text = (await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' })).text;
    expect(text).not.toContain('\u2028');
    expect(text).not.toContain('UTM_Source');
    expect(text).not.toMatch(/"account_id":\d{17,}/);
    expect(text).toMatch(/"account_id":\d{6}[,}]/);
  });
});

describe('fake clock and late events', () => {
  it('shows a late event in an already fetched day once the clock passes its processing time', async () => {
    await using fake = await startFakeMixpanel({
      clock: 'frozen',
      now: '2024-06-20T12:00:00Z',
      rateLimits: 'off',
    });
    const range = { from_date: '2024-06-10', to_date: '2024-06-19' };
    const before = parseLines((await exportRaw(fake, range)).text);
    expect(before.length).toBe(fake.expected.rawEventCount('2024-06-10', '2024-06-19'));
    const pending = fake.expected.pendingEventCount('2024-06-10', '2024-06-19');
    expect(pending).toBeGreaterThan(0);
    const next = fake.expected.nextVisibleAt('2024-06-10', '2024-06-19') as number;
    expect(next).toBeGreaterThan(fake.now());
    fake.setNow(next);
    const after = parseLines((await exportRaw(fake, range)).text);
    expect(after.length).toBe(before.length + 1);
    const seen = new Set(
      before.map((l) => JSON.stringify(l, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))),
    );
    const appeared = after.filter(
      (l) => !seen.has(JSON.stringify(l, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))),
    );
    expect(appeared).toHaveLength(1);
    expect(appeared[0]?.properties.mp_processing_time_ms).toBe(next);
    // No event from the future: nothing happened after the clock.
    expect(after.every((l) => l.properties.mp_processing_time_ms <= next)).toBe(true);
  });

  it('runs on with real time unless frozen, and advance() moves it', async () => {
    await using running = await startFakeMixpanel({ now: '2024-07-01T00:00:00Z' });
    const t0 = running.now();
    await new Promise((r) => setTimeout(r, 30));
    expect(running.now()).toBeGreaterThanOrEqual(t0 + 25);
    running.advance(86_400_000);
    expect(running.now()).toBeGreaterThanOrEqual(t0 + 86_400_000);
    await using frozen = await startFakeMixpanel({ clock: 'frozen' });
    const f0 = frozen.now();
    expect(f0).toBe(Date.parse('2024-07-01T12:00:00Z'));
    await new Promise((r) => setTimeout(r, 20));
    expect(frozen.now()).toBe(f0);
    frozen.advance(5000);
    expect(frozen.now()).toBe(f0 + 5000);
  });
});

describe('legacy timezone project', () => {
  it('uses local days and exports the local wall-clock epoch', async () => {
    await using fake = await startFakeMixpanel({
      legacyTimezone: 'America/Los_Angeles',
      days: 2,
      eventsPerDay: 400,
      clock: 'frozen',
      missingInsertIdRate: 0,
    });
    const lines = parseLines(
      (await exportRaw(fake, { from_date: '2024-06-01', to_date: '2024-06-01' })).text,
    );
    expect(lines.length).toBe(fake.expected.rawEventCount('2024-06-01', '2024-06-01'));
    // Every exported time falls on the requested local day when read as UTC wall clock.
    expect(lines.every((l) => dayOf(l.properties.time) === '2024-06-01')).toBe(true);
    // The true instant (ingestion hint) is 7 hours later than the local epoch in June (PDT).
    const withHint = lines.find((l) => typeof l.properties.$mp_api_timestamp_ms === 'number');
    const hint = withHint?.properties.$mp_api_timestamp_ms as number;
    const local = (withHint?.properties.time as number) * 1000;
    expect(hint - local).toBeGreaterThan(7 * 3_600_000 - 5_000);
    expect(hint - local).toBeLessThan(7 * 3_600_000 + 100_000);
  });
});
