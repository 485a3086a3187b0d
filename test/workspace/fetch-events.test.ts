/**
 * `Workspace.fetchEvents` against the fake Mixpanel (DuckDB): what lands in the table equals the
 * fake's seeded ground truth, deduplicated by Mixpanel's rule, with 19-digit ids exact.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, TableExistsError } from '../../src/errors.js';
import type { FetchProgress } from '../../src/index.js';
import type { FakeMixpanel } from '../../src/testing/index.js';
import { parseJsonLossless } from '../../src/values/json-text.js';
import {
  dbPath,
  exportRequests,
  fakeWorkspace,
  rejection,
  startFake,
  storedCounts,
} from './support/fake-workspace.js';

let fake: FakeMixpanel;
const FROM = '2024-06-01';
const TO = '2024-06-30';

beforeAll(async () => {
  fake = await startFake({ seed: 11, days: 30, eventsPerDay: 1000, users: 200 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('a 30-day fetch', () => {
  it('stores exactly the deduplicated ground truth, field by field, in parallel chunks', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const progress: FetchProgress[] = [];
    const result = await ws.fetchEvents({
      fromDate: FROM,
      toDate: TO,
      parallel: true,
      workers: 4,
      onProgress: (p) => progress.push(p),
    });

    const raw = fake.expected.rawEventCount(FROM, TO);
    const deduped = fake.expected.dedupedEventCount(FROM, TO);
    expect(raw).toBeGreaterThan(deduped); // the seeded data has duplicate copies
    expect(result).toMatchObject({ table: 'events', rowsStored: deduped, duplicatesSkipped: raw - deduped });
    expect(result).toMatchObject({ replacedRows: 0, fromDate: FROM, toDate: TO, failedChunks: 0 });
    expect(result.chunks).toHaveLength(30);
    // Concurrent requests reach the fake after the shared frozen clock has jumped, so the fake may
    // see a 4th request in "one second" and answer 429 (retried); every chunk still succeeds.
    expect(result.chunks.every((c) => c.status === 'ok' && c.fromDate === c.toDate)).toBe(true);
    expect(result.chunks.map((c) => c.fromDate)).toEqual(fake.expected.days());
    const storage = await ws.storage();
    expect(Number(await ws.sqlScalar('SELECT count(*) FROM events'))).toBe(deduped);
    expect(await storedCounts(storage)).toEqual(fake.expected.countsByEventAndDay(FROM, TO));
    // Per-chunk rows agree with the ground truth per day.
    const perDay = fake.expected.countsByEventAndDay(FROM, TO);
    for (const chunk of result.chunks) {
      const expected = Object.values(perDay[chunk.fromDate] ?? {}).reduce((a, b) => a + b, 0);
      expect(chunk.rows).toBe(expected);
    }
    expect(exportRequests(fake).filter((r) => r.status === 200)).toHaveLength(30);
    expect(progress.at(-1)).toEqual({
      phase: 'done',
      chunksDone: 30,
      chunksFailed: 0,
      chunksTotal: 30,
      rows: raw,
    });
  });

  it('stores the same rows from a fake that serves pre-compressed days (exportCache)', async () => {
    await using cached = await startFake({
      seed: 11,
      days: 30,
      eventsPerDay: 1000,
      users: 200,
      exportCache: 'precompute',
    });
    const rowsOf = async (server: FakeMixpanel) => {
      await using ws = fakeWorkspace(server, { path: dbPath() });
      await ws.fetchEvents({ fromDate: FROM, toDate: TO, parallel: true, workers: 2, chunkDays: 10 });
      return await ws.sql(
        'SELECT event_name, event_time, distinct_id, insert_id, CAST(properties AS VARCHAR) AS p FROM events ORDER BY insert_id',
      );
    };
    const expected = await rowsOf(fake);
    expect(expected).toHaveLength(fake.expected.dedupedEventCount(FROM, TO));
    expect(await rowsOf(cached)).toEqual(expected);
    expect(exportRequests(cached).every((r) => r.gzip)).toBe(true);
  });

  it('keeps the winning copy of a duplicated event and every key field and property exactly', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const day = '2024-06-12';
    await ws.fetchEvents({ fromDate: day, toDate: day });
    // A duplicated event that carries a 64-bit account id.
    const candidates = [...fake.expected.rawEvents(day, day)]
      .map((e) => e.properties.$insert_id)
      .filter((id): id is string => typeof id === 'string');
    const insertId = candidates.find(
      (id) =>
        fake.expected.eventCopies(id).length > 1 &&
        typeof fake.expected.event(id)?.properties.account_id === 'bigint',
    );
    expect(insertId).toBeDefined();
    const expected = fake.expected.event(insertId!)!;
    const rows = await ws.sql(
      `SELECT event_name, event_time, distinct_id, insert_id, properties, properties->>'account_id' AS account_text
       FROM events WHERE insert_id = $1`,
      [insertId],
    );
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    const props = expected.properties;
    expect(row.event_name).toBe(expected.event);
    expect(row.event_time).toEqual(new Date(Number(props.time) * 1000));
    expect(row.distinct_id).toBe(props.distinct_id ?? '');
    expect(row.insert_id).toBe(insertId);
    const stored = parseJsonLossless(row.properties as string) as Record<string, unknown>;
    expect(stored).toEqual(props); // every property, the winner's copy, bigints as bigints
    expect(typeof stored.account_id).toBe('bigint');
    expect(String(stored.account_id)).toMatch(/^\d{19}$/);
    expect(row.account_text).toBe(String(props.account_id));
    const copies = fake.expected.eventCopies(insertId!);
    const newest = Math.max(...copies.map((c) => Number(c.properties.mp_processing_time_ms)));
    expect(Number(stored.mp_processing_time_ms)).toBe(newest);
  });

  it('keeps events without $insert_id and with an empty or missing distinct_id', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const from = '2024-06-03';
    const to = '2024-06-09';
    await ws.fetchEvents({ fromDate: from, toDate: to, chunkDays: 7 });
    const winners = [...fake.expected.dedupedEvents(from, to)];
    const noInsertId = winners.filter((e) => e.properties.$insert_id === undefined).length;
    const noUser = winners.filter((e) => (e.properties.distinct_id ?? '') === '').length;
    expect(noInsertId).toBeGreaterThan(0);
    expect(noUser).toBeGreaterThan(0);
    expect(Number(await ws.sqlScalar(`SELECT count(*) FROM events WHERE insert_id LIKE '~%'`))).toBe(
      noInsertId,
    );
    expect(Number(await ws.sqlScalar(`SELECT count(*) FROM events WHERE distinct_id = ''`))).toBe(noUser);
    expect(exportRequests(fake)).toHaveLength(1); // one request for the 7-day chunk
  });

  it('records the fetch in the table metadata, with the API base URL and never a secret', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    await ws.fetchEvents({
      name: 'purchases',
      fromDate: '2024-06-02',
      toDate: '2024-06-04',
      events: ['Purchase'],
    });
    const metadata = await (await ws.storage()).getMetadata('purchases');
    expect(metadata).toMatchObject({
      type: 'events',
      fromDate: '2024-06-02',
      toDate: '2024-06-04',
      source: fake.url,
    });
    expect(metadata.filters).toEqual({
      events: ['Purchase'],
      where: null,
      limit: null,
      chunkDays: 1,
      timeInMs: false,
    });
    expect(metadata.rowCount).toBe(
      fake.expected.dedupedEventCount('2024-06-02', '2024-06-04', { events: ['Purchase'] }),
    );
    expect(JSON.stringify(metadata)).not.toContain(fake.serviceAccount.secret);
    const tables = await ws.tables();
    expect(tables.map((t) => t.name)).toEqual(['purchases']);
  });

  it('passes where, limit and time_in_ms to every chunk', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const where = 'properties["mp_lib"] == "web"';
    const result = await ws.fetchEvents({
      fromDate: '2024-06-05',
      toDate: '2024-06-06',
      where,
      timeInMs: true,
    });
    const expected = [...fake.expected.rawEvents('2024-06-05', '2024-06-06', { where, timeInMs: true })];
    expect(expected.length).toBeGreaterThan(0);
    expect(result.rowsStored + result.duplicatesSkipped).toBe(expected.length);
    const first = expected[0]!;
    const time = await ws.sqlScalar('SELECT event_time FROM events WHERE insert_id = $1', [
      first.properties.$insert_id,
    ]);
    expect(time).toEqual(new Date(Number(first.properties.time)));
    for (const request of exportRequests(fake))
      expect(request.query).toMatchObject({ where, time_in_ms: 'true' });

    fake.clearRequests();
    const limited = await ws.fetchEvents({
      name: 'capped',
      fromDate: '2024-06-05',
      toDate: '2024-06-06',
      limit: 7,
    });
    expect(limited.rowsStored + limited.duplicatesSkipped).toBe(14); // the cap applies per request
    expect(exportRequests(fake).map((r) => r.query.limit)).toEqual(['7', '7']);
  });
});

describe('argument checks happen before any request', () => {
  it('refuses bad dates, a reversed range, append with replace, and bad chunk sizes', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const cases = [
      { fromDate: '2024-6-1', toDate: TO },
      { fromDate: '2024-06-31', toDate: TO },
      { fromDate: '2024-06-10', toDate: '2024-06-09' },
      { fromDate: FROM, toDate: TO, append: true, replace: true },
      { fromDate: FROM, toDate: TO, chunkDays: 101 },
      { fromDate: FROM, toDate: TO, parallel: true, workers: 0 },
      { fromDate: FROM, toDate: TO, name: '_private' },
    ];
    for (const options of cases) {
      const error = await rejection(ws.fetchEvents(options));
      expect(error, JSON.stringify(options)).toBeInstanceOf(InvalidArgumentError);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('fails with TableExistsError on an existing table, without sending a request', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    await ws.fetchEvents({ fromDate: FROM, toDate: FROM });
    fake.clearRequests();
    const error = await rejection(ws.fetchEvents({ fromDate: FROM, toDate: FROM }));
    expect(error).toBeInstanceOf(TableExistsError);
    expect(fake.requests).toHaveLength(0);
  });

  it('clamps a range that runs past today', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const today = fake.expected.today();
    const result = await ws.fetchEvents({ fromDate: today, toDate: '2099-01-01' });
    expect(result.toDate).toBe(today);
    expect(result.chunks).toHaveLength(1);
    expect(result.rowsStored).toBe(0);
  });
});

describe('introspection through the workspace', () => {
  it('describes a fetched table and drops it', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const day = '2024-06-20';
    await ws.fetchEvents({ fromDate: day, toDate: day });
    const counts = fake.expected.countsByEventAndDay(day, day)[day]!;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(await ws.info()).toMatchObject({
      backend: 'duckdb',
      tables: 1,
      totalRows: total,
      readOnly: false,
    });
    expect((await ws.tableSchema('events')).map((c) => c.name)).toEqual([
      'event_name',
      'event_time',
      'distinct_id',
      'insert_id',
      'properties',
    ]);
    expect(await ws.sample('events', { n: 3 })).toHaveLength(3);
    const breakdown = await ws.eventBreakdown('events');
    expect(Object.fromEntries(breakdown.map((r) => [r.event, r.count]))).toEqual(counts);
    expect((await ws.propertyKeys('events')).map((k) => k.key)).toContain('account_id');
    expect((await ws.columnStats('events', 'event_name')).distinct).toBe(Object.keys(counts).length);
    expect((await ws.summarize('events')).map((c) => c.name)).toContain('event_time');
    expect(await ws.drop('events')).toEqual(['events']);
    expect(await ws.tables()).toEqual([]);
    await ws.fetchEvents({ name: 'a', fromDate: day, toDate: day });
    expect(await ws.dropAll()).toEqual(['a']);
  });
});
