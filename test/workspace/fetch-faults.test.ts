/**
 * `Workspace.fetchEvents` when Mixpanel misbehaves (faults injected into the fake), and the
 * append / replace contracts: retried chunks leave no duplicates, failed chunks are reported, a
 * failed replace leaves the old table alone, and re-fetching a range into an append reports it all
 * as duplicates.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, ApiError, AuthenticationError, InvalidArgumentError } from '../../src/errors.js';
import type { FakeFaultRule, FakeMixpanel } from '../../src/testing/index.js';
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
const TO = '2024-06-06';

beforeAll(async () => {
  fake = await startFake({ seed: 5, days: 10, eventsPerDay: 400, users: 80 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

/** A fault on the export of one day. */
function onDay(day: string, fault: FakeFaultRule['fault'], times = 1): FakeFaultRule {
  return { match: { family: 'export', predicate: (r) => r.query.from_date === day } as const, fault, times };
}

function expectedTotal(from: string, to: string): number {
  return fake.expected.dedupedEventCount(from, to);
}

describe('faults on a chunk', () => {
  it('retries a chunk after terminated early and a reset, with no duplicates and exact counts', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    fake.inject(onDay('2024-06-02', { kind: 'terminatedEarly', afterLines: 150 }));
    fake.inject(onDay('2024-06-04', { kind: 'reset', afterBytes: 20_000 }, 2));
    const result = await ws.fetchEvents({ fromDate: FROM, toDate: TO, batchSize: 50 });

    expect(result.failedChunks).toBe(0);
    expect(result.rowsStored).toBe(expectedTotal(FROM, TO));
    expect(result.duplicatesSkipped).toBe(fake.expected.rawEventCount(FROM, TO) - expectedTotal(FROM, TO));
    expect(await storedCounts(await ws.storage())).toEqual(fake.expected.countsByEventAndDay(FROM, TO));
    expect(result.chunks.map((c) => c.attempts)).toEqual([1, 2, 1, 3, 1, 1]);
    const faults = exportRequests(fake).map((r) => [r.query.from_date, r.fault]);
    expect(faults.filter(([, f]) => f !== null)).toEqual([
      ['2024-06-02', 'terminatedEarly'],
      ['2024-06-04', 'reset'],
      ['2024-06-04', 'reset'],
    ]);
    // The failed attempts did send lines; none of them stayed.
    const broken = exportRequests(fake).find((r) => r.fault === 'terminatedEarly');
    expect(broken?.linesSent).toBeGreaterThanOrEqual(150);
  });

  it('reports a chunk that keeps failing (500) and stores the others', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const bad = '2024-06-03';
    fake.inject(onDay(bad, { kind: 'status', status: 500 }, 10));
    const result = await ws.fetchEvents({ fromDate: FROM, toDate: TO, parallel: true, workers: 2 });

    expect(result.failedChunks).toBe(1);
    const failed = result.chunks.find((c) => c.status === 'failed');
    expect(failed).toMatchObject({ fromDate: bad, toDate: bad, rows: 0, attempts: 5 });
    expect(failed?.error).toMatch(/500/);
    const expected = fake.expected.countsByEventAndDay(FROM, TO);
    delete expected[bad];
    expect(await storedCounts(await ws.storage())).toEqual(expected);
    expect(result.rowsStored).toBe(expectedTotal(FROM, TO) - expectedTotal(bad, bad));
    expect(exportRequests(fake).filter((r) => r.query.from_date === bad)).toHaveLength(5);
  });

  it('stops at an authentication failure and creates no table', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    fake.inject({ match: { family: 'export' }, fault: { kind: 'auth', status: 401 }, times: 10 });
    const error = await rejection(ws.fetchEvents({ fromDate: FROM, toDate: TO, parallel: true }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).not.toContain(fake.serviceAccount.secret);
    const storage = await ws.storage();
    expect(await storage.tableExists('events')).toBe(false);
    expect(await storage.listTables()).toEqual([]);
    // Fatal errors are not retried, and the remaining chunks are not requested.
    expect(exportRequests(fake).length).toBeLessThanOrEqual(3);
  });

  it('throws when every chunk fails, leaving no table', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    fake.inject({ match: { family: 'export' }, fault: { kind: 'status', status: 503 }, times: 100 });
    const error = await rejection(ws.fetchEvents({ fromDate: FROM, toDate: '2024-06-02' }));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect(await (await ws.storage()).tableExists('events')).toBe(false);
  });

  it('aborts: the running chunk rolls back and AbortedError is thrown', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const controller = new AbortController();
    const result = ws.fetchEvents({
      fromDate: FROM,
      toDate: TO,
      batchSize: 100,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.chunksDone === 2 && p.rows > 0) controller.abort();
      },
    });
    const error = await rejection(result);
    expect(error).toBeInstanceOf(AbortedError);
    // Whole chunks only: what is stored is exactly the first days.
    const counts = await storedCounts(await ws.storage());
    const days = Object.keys(counts).sort();
    expect(counts).toEqual(fake.expected.countsByEventAndDay(days[0]!, days.at(-1)!));
    expect(days.length).toBeLessThan(6);
  });
});

describe('replace', () => {
  it('swaps in a complete copy and reports the rows it replaced', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const first = await ws.fetchEvents({ fromDate: FROM, toDate: '2024-06-02' });
    const result = await ws.fetchEvents({ fromDate: '2024-06-03', toDate: TO, replace: true });
    expect(result.replacedRows).toBe(first.rowsStored);
    expect(result.rowsStored).toBe(expectedTotal('2024-06-03', TO));
    expect(await storedCounts(await ws.storage())).toEqual(
      fake.expected.countsByEventAndDay('2024-06-03', TO),
    );
    const [table] = await ws.tables();
    expect(table).toMatchObject({
      name: 'events',
      fromDate: '2024-06-03',
      toDate: TO,
      rowCount: result.rowsStored,
    });
    expect((await ws.tables()).map((t) => t.name)).toEqual(['events']);
  });

  it('leaves the old table untouched when a chunk fails, and drops its temporary table', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    await ws.fetchEvents({ fromDate: FROM, toDate: '2024-06-02' });
    const storage = await ws.storage();
    const before = await storedCounts(storage);
    const metadataBefore = await storage.getMetadata('events');
    fake.inject(onDay('2024-06-05', { kind: 'cut', afterBytes: 5000 }, 10));
    const error = await rejection(ws.fetchEvents({ fromDate: FROM, toDate: TO, replace: true }));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toMatch(/2024-06-05/);
    expect((error as ApiError).details.failedChunks).toEqual([
      expect.objectContaining({ fromDate: '2024-06-05', toDate: '2024-06-05' }),
    ]);
    expect(await storedCounts(storage)).toEqual(before);
    expect(await storage.getMetadata('events')).toEqual(metadataBefore);
    expect((await storage.listTables()).map((t) => t.name)).toEqual(['events']);
  });

  it('leaves the old table untouched when the credentials are refused', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    await ws.fetchEvents({ fromDate: FROM, toDate: FROM });
    const storage = await ws.storage();
    const before = await storedCounts(storage);
    fake.inject({ match: { family: 'export' }, fault: { kind: 'auth', status: 400 }, nth: 3 });
    const error = await rejection(ws.fetchEvents({ fromDate: FROM, toDate: TO, replace: true }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(await storedCounts(storage)).toEqual(before);
    expect((await storage.listTables()).map((t) => t.name)).toEqual(['events']);
  });
});

describe('append', () => {
  it('reports every event of a range fetched again as a duplicate and stores nothing', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const first = await ws.fetchEvents({ fromDate: FROM, toDate: TO });
    const again = await ws.fetchEvents({ fromDate: FROM, toDate: TO, append: true });
    expect(again.rowsStored).toBe(0);
    expect(again.duplicatesSkipped).toBe(fake.expected.rawEventCount(FROM, TO));
    expect(Number(await ws.sqlScalar('SELECT count(*) FROM events'))).toBe(first.rowsStored);
  });

  it('extends a table with new days and widens its metadata range', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    await ws.fetchEvents({ fromDate: '2024-06-03', toDate: '2024-06-04' });
    const result = await ws.fetchEvents({ fromDate: FROM, toDate: TO, append: true, parallel: true });
    expect(result.rowsStored).toBe(expectedTotal(FROM, TO) - expectedTotal('2024-06-03', '2024-06-04'));
    expect(await storedCounts(await ws.storage())).toEqual(fake.expected.countsByEventAndDay(FROM, TO));
    const metadata = await (await ws.storage()).getMetadata('events');
    expect(metadata).toMatchObject({ fromDate: FROM, toDate: TO, rowCount: expectedTotal(FROM, TO) });
  });

  it('creates a missing table, and refuses to mix time precisions', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const result = await ws.fetchEvents({ fromDate: FROM, toDate: FROM, append: true });
    expect(result.rowsStored).toBe(expectedTotal(FROM, FROM));
    fake.clearRequests();
    const error = await rejection(ws.fetchEvents({ fromDate: TO, toDate: TO, append: true, timeInMs: true }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(fake.requests).toHaveLength(0);
  });
});
