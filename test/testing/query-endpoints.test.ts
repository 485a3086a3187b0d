import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import {
  apiUrl,
  dayOf,
  dedupe,
  type ExportLine,
  exportRaw,
  parseLines,
  query,
  rawRequest,
  saAuth,
} from './helpers.js';

interface Segmentation {
  data: { series: string[]; values: Record<string, Record<string, number>> };
  legend_size: number;
}

function tally(
  lines: readonly ExportLine[],
  measure: 'general' | 'unique',
): Map<string, Map<string, number>> {
  const sets = new Map<string, Map<string, Set<string>>>();
  const counts = new Map<string, Map<string, number>>();
  for (const line of lines) {
    const day = dayOf(line.properties.time);
    const byDay = counts.get(line.event) ?? new Map<string, number>();
    counts.set(line.event, byDay);
    byDay.set(day, (byDay.get(day) ?? 0) + 1);
    const user = line.properties.distinct_id;
    if (user === undefined || user === '') continue;
    const userDays = sets.get(line.event) ?? new Map<string, Set<string>>();
    sets.set(line.event, userDays);
    userDays.set(day, (userDays.get(day) ?? new Set()).add(user));
  }
  if (measure === 'general') return counts;
  return new Map([...sets].map(([event, days]) => [event, new Map([...days].map(([d, s]) => [d, s.size]))]));
}

describe('consistency of reports with the export (8.4)', () => {
  let fake: FakeMixpanel;
  let deduped: ExportLine[];

  beforeAll(async () => {
    fake = await startFakeMixpanel({ seed: 5, days: 30, clock: 'frozen', rateLimits: 'off' });
    const res = await exportRaw(fake, {
      from_date: '2024-06-01',
      to_date: '2024-06-30',
      time_in_ms: 'false',
    });
    deduped = dedupe(parseLines(res.text));
  });
  afterAll(() => fake.close());

  it('segmentation general equals the deduplicated export per event and day', async () => {
    const expected = tally(deduped, 'general');
    expect(expected.size).toBe(8);
    for (const [event, byDay] of expected) {
      const { status, body } = await query<Segmentation>(fake, 'segmentation', {
        event,
        from_date: '2024-06-01',
        to_date: '2024-06-30',
      });
      expect(status).toBe(200);
      expect(body.data.series).toHaveLength(30);
      expect(body.legend_size).toBe(1);
      for (const day of body.data.series) expect(body.data.values[event]?.[day]).toBe(byDay.get(day) ?? 0);
    }
  });

  it('segmentation unique equals the distinct non-empty distinct_ids of the deduplicated export', async () => {
    const expected = tally(deduped, 'unique');
    for (const [event, byDay] of expected) {
      const { body } = await query<Segmentation>(fake, 'segmentation', {
        event,
        from_date: '2024-06-01',
        to_date: '2024-06-30',
        type: 'unique',
      });
      for (const day of body.data.series) expect(body.data.values[event]?.[day]).toBe(byDay.get(day) ?? 0);
    }
    const counts = fake.expected.uniqueUsersByEventAndDay('2024-06-01', '2024-06-30');
    expect(counts['2024-06-05']?.Purchase).toBe(expected.get('Purchase')?.get('2024-06-05'));
  });

  it('hour and month buckets add up to the day buckets', async () => {
    const params = { event: 'Search', from_date: '2024-06-01', to_date: '2024-06-30' };
    const day = (await query<Segmentation>(fake, 'segmentation', params)).body.data.values.Search ?? {};
    const hour = (await query<Segmentation>(fake, 'segmentation', { ...params, unit: 'hour' })).body.data;
    expect(hour.series).toHaveLength(720);
    expect(hour.series[13]).toBe('2024-06-01 13:00:00');
    for (const [d, n] of Object.entries(day)) {
      const sum = Object.entries(hour.values.Search ?? {})
        .filter(([k]) => k.startsWith(d))
        .reduce((a, [, v]) => a + v, 0);
      expect(sum).toBe(n);
    }
    const month = (await query<Segmentation>(fake, 'segmentation', { ...params, unit: 'month' })).body.data;
    expect(month.series).toEqual(['2024-06-01']);
    expect(month.values.Search?.['2024-06-01']).toBe(Object.values(day).reduce((a, b) => a + b, 0));
  });

  it('segments with on and filters with where', async () => {
    const params = { event: 'Purchase', from_date: '2024-06-01', to_date: '2024-06-30' };
    const total = (await query<Segmentation>(fake, 'segmentation', params)).body.data.values.Purchase ?? {};
    const byLib = (await query<Segmentation>(fake, 'segmentation', { ...params, on: 'properties["mp_lib"]' }))
      .body;
    expect(Object.keys(byLib.data.values).sort()).toEqual(['android', 'iphone', 'web']);
    for (const [d, n] of Object.entries(total)) {
      expect(Object.values(byLib.data.values).reduce((a, seg) => a + (seg[d] ?? 0), 0)).toBe(n);
    }
    const where = 'properties["currency"] == "EUR" and properties["amount"] >= 100';
    const filtered =
      (await query<Segmentation>(fake, 'segmentation', { ...params, where })).body.data.values.Purchase ?? {};
    const mine = deduped.filter(
      (l) =>
        l.event === 'Purchase' && l.properties.currency === 'EUR' && (l.properties.amount as number) >= 100,
    );
    expect(Object.values(filtered).reduce((a, b) => a + b, 0)).toBe(mine.length);
    expect(mine.length).toBeGreaterThan(50);
  });

  it('events/names lists names of the last 31 days by deduplicated volume', async () => {
    const volume = new Map<string, number>();
    for (const l of deduped) volume.set(l.event, (volume.get(l.event) ?? 0) + 1);
    const expected = [...volume].sort((a, b) => b[1] - a[1]).map(([n]) => n);
    expect((await query<string[]>(fake, 'events/names', { type: 'general' })).body).toEqual(expected);
    expect((await query<string[]>(fake, 'events/names', { type: 'general', limit: '3' })).body).toEqual(
      expected.slice(0, 3),
    );
    const legacy = await rawRequest(apiUrl(fake, '/api/2.0/events/names', { type: 'general' }), {
      headers: { authorization: saAuth(fake) },
    });
    expect(JSON.parse(legacy.text)).toEqual(expected);
  });

  it('events/top counts the 24 hours before now against the 24 hours before that', async () => {
    const now = fake.now();
    const lines = dedupe(
      parseLines(
        (await exportRaw(fake, { from_date: '2024-06-29', to_date: '2024-07-01', time_in_ms: 'true' })).text,
      ),
    );
    const count = (from: number, to: number) => {
      const m = new Map<string, number>();
      for (const l of lines)
        if (l.properties.time > from && l.properties.time <= to) m.set(l.event, (m.get(l.event) ?? 0) + 1);
      return m;
    };
    const today = count(now - 86_400_000, now);
    const yesterday = count(now - 2 * 86_400_000, now - 86_400_000);
    const { body } = await query<{
      events: { amount: number; event: string; percent_change: number }[];
      type: string;
    }>(fake, 'events/top', { type: 'general', limit: '4' });
    expect(body.type).toBe('general');
    expect(body.events).toHaveLength(4);
    for (const entry of body.events) {
      expect(entry.amount).toBe(today.get(entry.event));
      const before = yesterday.get(entry.event) ?? 0;
      expect(entry.percent_change).toBeCloseTo((entry.amount - before) / before, 10);
    }
    const amounts = body.events.map((e) => e.amount);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
  });

  it('events/properties/top and /values are exact aggregates of the deduplicated events', async () => {
    const purchases = deduped.filter((l) => l.event === 'Purchase');
    const { body: top } = await query<Record<string, { count: number }>>(fake, 'events/properties/top', {
      event: 'Purchase',
      limit: '50',
    });
    expect(Object.keys(top)).toContain('amount');
    expect(Object.keys(top)).not.toContain('$insert_id');
    for (const [name, { count }] of Object.entries(top)) {
      expect(count).toBe(purchases.filter((l) => name in l.properties).length);
    }
    const tally = new Map<string, number>();
    for (const l of purchases)
      tally.set(String(l.properties.currency), (tally.get(String(l.properties.currency)) ?? 0) + 1);
    const expected = [...tally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
    const { body: values } = await query<string[]>(fake, 'events/properties/values', {
      event: 'Purchase',
      name: 'currency',
    });
    expect(values).toEqual(expected);
    const { body: three } = await query<Record<string, unknown>>(fake, 'events/properties/top', {
      event: 'Purchase',
    });
    expect(Object.keys(three)).toHaveLength(10);
  });
});

describe('funnels, retention and cohorts', () => {
  let fake: FakeMixpanel;
  beforeAll(async () => {
    fake = await startFakeMixpanel({ days: 14, clock: 'frozen', rateLimits: 'off' });
  });
  afterAll(() => fake.close());

  it('lists funnels and computes internally consistent steps', async () => {
    const { body: list } = await query<{ funnel_id: number; name: string }[]>(fake, 'funnels/list');
    expect(list.map((f) => f.name)).toEqual(fake.expected.funnels().map((f) => f.name));
    const funnel = fake.expected.funnels().find((f) => f.steps.length === 3);
    const { status, body } = await query<{
      meta: { dates: string[] };
      data: Record<
        string,
        {
          steps: {
            count: number;
            step_conv_ratio: number;
            overall_conv_ratio: number;
            avg_time: number | null;
            event: string;
          }[];
          analysis: { completion: number; starting_amount: number; steps: number; worst: number };
        }
      >;
    }>(fake, 'funnels', {
      funnel_id: String(funnel?.funnelId),
      from_date: '2024-06-01',
      to_date: '2024-06-07',
    });
    expect(status).toBe(200);
    expect(body.meta.dates).toHaveLength(7);
    let converted = 0;
    for (const date of body.meta.dates) {
      const { steps, analysis } = body.data[date] as NonNullable<(typeof body.data)[string]>;
      expect(steps.map((s) => s.event)).toEqual(funnel?.steps);
      expect(steps[0]?.avg_time).toBeNull();
      for (let k = 1; k < steps.length; k++) {
        const step = steps[k] as (typeof steps)[number];
        const prev = steps[k - 1] as (typeof steps)[number];
        expect(step.count).toBeLessThanOrEqual(prev.count);
        expect(step.step_conv_ratio).toBeCloseTo(prev.count === 0 ? 0 : step.count / prev.count, 10);
        expect(step.overall_conv_ratio).toBeCloseTo(step.count / (steps[0]?.count as number), 10);
      }
      expect(analysis.starting_amount).toBe(steps[0]?.count);
      expect(analysis.completion).toBe(steps.at(-1)?.count);
      expect(analysis.steps).toBe(3);
      converted += analysis.completion;
    }
    expect(converted).toBeGreaterThan(0);
    const weekly = await query<{ meta: { dates: string[] } }>(fake, 'funnels', {
      funnel_id: String(funnel?.funnelId),
      from_date: '2024-06-01',
      to_date: '2024-06-14',
      unit: 'week',
    });
    expect(weekly.body.meta.dates).toEqual(['2024-06-01', '2024-06-08']);
    expect(
      (await query(fake, 'funnels', { funnel_id: '1', from_date: '2024-06-01', to_date: '2024-06-02' }))
        .status,
    ).toBe(400);
  });

  it('computes birth retention rows', async () => {
    const { status, body } = await query<Record<string, { counts: number[]; first: number }>>(
      fake,
      'retention',
      {
        from_date: '2024-06-01',
        to_date: '2024-06-10',
        born_event: 'Sign Up',
        unit: 'day',
        interval_count: '3',
      },
    );
    expect(status).toBe(200);
    expect(Object.keys(body)).toHaveLength(10);
    for (const row of Object.values(body)) {
      expect(row.first).toBeGreaterThan(0);
      expect(row.counts).toHaveLength(4);
      // Without a return event, the birth itself is the return in interval 0.
      expect(row.counts[0]).toBe(row.first);
      expect(row.counts.every((n) => n <= row.first)).toBe(true);
    }
    const purchases = await query<Record<string, { counts: number[]; first: number }>>(fake, 'retention', {
      from_date: '2024-06-01',
      to_date: '2024-06-14',
      born_event: 'Sign Up',
      event: 'Purchase',
      unit: 'week',
      interval_count: '2',
    });
    expect(Object.keys(purchases.body)).toEqual(['2024-06-01', '2024-06-08']);
    expect(purchases.body['2024-06-01']?.counts[0]).toBeLessThan(
      purchases.body['2024-06-01']?.first as number,
    );
    expect((await query(fake, 'retention', { from_date: '2024-06-01', to_date: '2024-06-02' })).status).toBe(
      400,
    );
  });

  it('lists cohorts over POST', async () => {
    const res = await rawRequest(apiUrl(fake, '/api/query/cohorts/list'), {
      method: 'POST',
      headers: { authorization: saAuth(fake) },
    });
    const cohorts = JSON.parse(res.text) as {
      id: number;
      name: string;
      count: number;
      project_id: number;
      is_visible: boolean;
    }[];
    expect(cohorts.map((c) => [c.id, c.count])).toEqual(
      fake.expected.cohorts().map((c) => [c.id, c.members.length]),
    );
    expect(cohorts.every((c) => c.project_id === 1234567 && typeof c.is_visible === 'boolean')).toBe(true);
  });

  it.each([
    ['segmentation', { from_date: '2024-06-01', to_date: '2024-06-02' }, 'event'],
    [
      'segmentation',
      { event: 'Search', from_date: '2024-06-01', to_date: '2024-06-02', unit: 'minute' },
      'minute',
    ],
    [
      'segmentation',
      { event: 'Search', from_date: '1999-06-01', to_date: '2024-06-02' },
      'Error in from_date: invalid date, bad year',
    ],
    [
      'segmentation',
      { event: 'Search', from_date: '2024-06-01', to_date: '2024-06-02', on: 'string(properties["x"])' },
      'string',
    ],
    ['events/names', {}, 'type'],
    ['events/properties/values', { event: 'Search' }, 'name'],
  ])('%s rejects %j', async (endpoint, params, fragment) => {
    const { status, body } = await query<{ error: string; request: string }>(
      fake,
      endpoint,
      params as Record<string, string>,
    );
    expect(status).toBe(400);
    expect(body.error).toContain(fragment);
    expect(body.request).toContain(endpoint);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const { status, body } = await query<{ error: string }>(fake, 'jql');
    expect(status).toBe(404);
    expect(body.error).toContain('/api/query/jql');
  });
});
