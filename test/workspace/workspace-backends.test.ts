/**
 * The same fetches on every backend (DuckDB, SQLite, PostgreSQL): a full fetch with a retried
 * chunk equals the fake's ground truth, big integers survive, appends report duplicates, replace
 * swaps, and profiles land with their `last_seen`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { BackendName, WorkspaceOptions } from '../../src/index.js';
import type { FakeMixpanel } from '../../src/testing/index.js';
import { parseJsonLossless } from '../../src/values/json-text.js';
import { backendHarnesses } from '../support/backends.js';
import { tempDir } from '../support/temp-dir.js';
import { exportRequests, fakeWorkspace, startFake, storedCounts } from './support/fake-workspace.js';

let fake: FakeMixpanel;
const FROM = '2024-06-01';
const TO = '2024-06-10';
const harnesses = await backendHarnesses();

beforeAll(async () => {
  fake = await startFake({ seed: 9, days: 10, eventsPerDay: 500, users: 120, engagePageSize: 40 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

let counter = 0;

/** Where a workspace on `backend` keeps its tables: a fresh file, or a fresh PostgreSQL schema. */
function storageOptions(backend: BackendName): WorkspaceOptions {
  if (backend === 'postgres') {
    const schema = `ws_${process.pid}_${counter++}_${Math.random().toString(36).slice(2, 8)}`;
    return { backend, settings: { url: inject('pgUrl'), schema } };
  }
  return { backend, path: join(tempDir(`mp-ws-${backend}-`), `ws-${counter++}.db`) };
}

describe.each(harnesses)('on $name', (harness) => {
  const skip = harness.skipReason !== null;

  it.skipIf(skip)('fetches 10 days with a retried chunk, exactly the ground truth', async () => {
    await using ws = fakeWorkspace(fake, storageOptions(harness.name));
    fake.inject({
      match: { family: 'export', predicate: (r) => r.query.from_date === '2024-06-04' },
      fault: { kind: 'reset', afterBytes: 30_000 },
    });
    const result = await ws.fetchEvents({
      fromDate: FROM,
      toDate: TO,
      parallel: true,
      workers: 2,
      batchSize: 300,
    });
    const deduped = fake.expected.dedupedEventCount(FROM, TO);
    expect(result).toMatchObject({ rowsStored: deduped, failedChunks: 0 });
    expect(result.duplicatesSkipped).toBe(fake.expected.rawEventCount(FROM, TO) - deduped);
    expect(result.chunks.find((c) => c.fromDate === '2024-06-04')?.attempts).toBeGreaterThanOrEqual(2);
    const storage = await ws.storage();
    expect(storage.backend).toBe(harness.name);
    expect(await storedCounts(storage)).toEqual(fake.expected.countsByEventAndDay(FROM, TO));
    expect(exportRequests(fake).some((r) => r.fault === 'reset')).toBe(true);

    // A 19-digit id, exact in the JSON and through ->> in SQL.
    const withBig = [...fake.expected.dedupedEvents('2024-06-07', '2024-06-07')].find(
      (e) => typeof e.properties.account_id === 'bigint',
    )!;
    const p1 = storage.dialect.placeholder(1); // $1 on DuckDB and PostgreSQL, ? on SQLite
    const [row] = await ws.sql(
      `SELECT properties, properties->>'account_id' AS account FROM events WHERE insert_id = ${p1}`,
      [withBig.properties.$insert_id],
    );
    const properties = parseJsonLossless(row?.properties as string) as Record<string, unknown>;
    expect(properties).toEqual(withBig.properties);
    expect(String(row?.account)).toBe(String(withBig.properties.account_id));
    expect(String(row?.account)).toMatch(/^\d{19}$/);
  });

  it.skipIf(skip)('appends the same range as duplicates, then replaces it', async () => {
    await using ws = fakeWorkspace(fake, storageOptions(harness.name));
    const first = await ws.fetchEvents({ fromDate: FROM, toDate: '2024-06-03' });
    const again = await ws.fetchEvents({ fromDate: FROM, toDate: '2024-06-03', append: true });
    expect(again).toMatchObject({
      rowsStored: 0,
      duplicatesSkipped: fake.expected.rawEventCount(FROM, '2024-06-03'),
    });
    const replaced = await ws.fetchEvents({ fromDate: '2024-06-09', toDate: TO, replace: true });
    expect(replaced.replacedRows).toBe(first.rowsStored);
    expect(await storedCounts(await ws.storage())).toEqual(
      fake.expected.countsByEventAndDay('2024-06-09', TO),
    );
    expect((await ws.tables()).map((t) => t.name)).toEqual(['events']);
  });

  it.skipIf(skip)('fetches every profile with its last_seen, then upserts on append', async () => {
    await using ws = fakeWorkspace(fake, storageOptions(harness.name));
    const result = await ws.fetchProfiles();
    const expected = fake.expected.profiles();
    expect(result).toMatchObject({
      table: 'profiles',
      rowsStored: expected.length,
      rowsUpdated: 0,
      duplicatesSkipped: 0,
    });
    expect(Number(await ws.sqlScalar('SELECT count(*) FROM profiles'))).toBe(expected.length);
    const sample = expected[3]!;
    const p1 = (await ws.storage()).dialect.placeholder(1);
    const [row] = await ws.sql(
      `SELECT distinct_id, properties, last_seen FROM profiles WHERE distinct_id = ${p1}`,
      [sample.$distinct_id],
    );
    expect(parseJsonLossless(row?.properties as string)).toEqual(sample.$properties);
    expect(row?.last_seen).toEqual(new Date(`${String(sample.$properties.$last_seen)}Z`));
    const again = await ws.fetchProfiles({ append: true });
    expect(again).toMatchObject({ rowsStored: 0, rowsUpdated: expected.length, duplicatesSkipped: 0 });
    expect(Number(await ws.sqlScalar('SELECT count(*) FROM profiles'))).toBe(expected.length);
  });
});
