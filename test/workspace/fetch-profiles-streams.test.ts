/**
 * `fetchProfiles` filters and table modes, and the database-free `streamEvents` /
 * `streamProfiles`, against the fake Mixpanel.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, TableExistsError } from '../../src/errors.js';
import type { EventRecord, FetchProgress } from '../../src/index.js';
import type { FakeMixpanel } from '../../src/testing/index.js';
import { parseJsonLossless } from '../../src/values/json-text.js';
import { dbPath, exportRequests, fakeWorkspace, rejection, startFake } from './support/fake-workspace.js';

let fake: FakeMixpanel;

beforeAll(async () => {
  fake = await startFake({ seed: 21, days: 4, eventsPerDay: 300, users: 150, engagePageSize: 25 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('fetchProfiles', () => {
  it('stores every profile once, bigints exact, with metadata and progress', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const progress: FetchProgress[] = [];
    const result = await ws.fetchProfiles({ batchSize: 20, onProgress: (p) => progress.push(p) });
    const expected = fake.expected.profiles();
    expect(result.rowsStored).toBe(expected.length);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', rows: expected.length });
    const rows = await ws.sql('SELECT distinct_id, properties FROM profiles');
    const stored = new Map(
      rows.map((r) => [r.distinct_id as string, parseJsonLossless(r.properties as string)]),
    );
    for (const profile of expected) expect(stored.get(profile.$distinct_id)).toEqual(profile.$properties);
    const bigints = [...stored.values()]
      .flatMap((p) => Object.values(p as object))
      .filter((v) => typeof v === 'bigint');
    expect(bigints.length).toBeGreaterThan(0);
    const metadata = await (await ws.storage()).getMetadata('profiles');
    expect(metadata).toMatchObject({ type: 'profiles', source: fake.url, rowCount: expected.length });
    // Engage paging: many pages, one query request counted.
    const engage = fake.requests.filter((r) => r.family === 'engage');
    expect(engage.length).toBe(Math.ceil(expected.length / 25) + (expected.length % 25 === 0 ? 1 : 0));
    expect(engage.filter((r) => r.countedAs === 'query')).toHaveLength(1);
  });

  it('passes where, cohort, output properties, ids and group filters', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const where = 'defined(properties["plan"])';
    const byWhere = await ws.fetchProfiles({ name: 'with_plan', where });
    expect(byWhere.rowsStored).toBe(fake.expected.profileCount({ where }));

    const cohort = fake.expected.cohorts()[0]!;
    const byCohort = await ws.fetchProfiles({ name: 'cohort', cohortId: cohort.id });
    expect(byCohort.rowsStored).toBe(fake.expected.profileCount({ cohortId: cohort.id }));

    const ids = fake.expected.users().slice(0, 5);
    const byIds = await ws.fetchProfiles({ name: 'picked', distinctIds: ids, outputProperties: ['$email'] });
    expect(byIds.rowsStored).toBe(fake.expected.profileCount({ distinctIds: ids }));
    const keys = await ws.sql('SELECT properties FROM picked');
    for (const row of keys) expect(Object.keys(JSON.parse(row.properties as string))).toEqual(['$email']);

    const groups = await ws.fetchProfiles({ name: 'groups', groupId: fake.expected.dataGroupId });
    expect(groups.rowsStored).toBe(fake.expected.profileCount({ dataGroupId: fake.expected.dataGroupId }));
    expect(groups.rowsStored).toBeGreaterThan(0);
  });

  it('refuses an existing table before any request, replaces atomically, and checks flags', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    await ws.fetchProfiles({ distinctIds: fake.expected.users().slice(0, 3) });
    fake.clearRequests();
    expect(await rejection(ws.fetchProfiles())).toBeInstanceOf(TableExistsError);
    expect(await rejection(ws.fetchProfiles({ append: true, replace: true }))).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(fake.requests).toHaveLength(0);
    const replaced = await ws.fetchProfiles({ replace: true });
    expect(replaced.replacedRows).toBe(3);
    expect(replaced.rowsStored).toBe(fake.expected.profileCount());
  });
});

describe('streams need no database', () => {
  it('streams raw events and event records of a range, chunk by chunk in date order', async () => {
    const path = dbPath();
    await using ws = fakeWorkspace(fake, { path });
    const [from, , to] = fake.expected.days();
    const raw = await collect(ws.streamEvents({ fromDate: from!, toDate: to!, raw: true }));
    const expected = [...fake.expected.rawEvents(from!, to!)];
    expect(raw.length).toBe(expected.length);
    expect(raw[0]).toEqual(expected[0]);
    expect(exportRequests(fake)).toHaveLength(3);

    const records: EventRecord[] = await collect(
      ws.streamEvents({ fromDate: from!, toDate: to!, chunkDays: 3 }),
    );
    expect(records).toHaveLength(expected.length);
    const first = expected[0]!;
    expect(records[0]).toEqual({
      event_name: first.event,
      event_time: new Date(Number(first.properties.time) * 1000),
      distinct_id: first.properties.distinct_id ?? '',
      insert_id: first.properties.$insert_id ?? null,
      properties: first.properties,
    });
    expect(existsSync(path)).toBe(false);
  });

  it('streams profiles as records or raw', async () => {
    const path = dbPath();
    await using ws = fakeWorkspace(fake, { path });
    const records = await collect(ws.streamProfiles());
    expect(records).toHaveLength(fake.expected.profileCount());
    const first = fake.expected.profiles()[0]!;
    expect(records[0]).toEqual({
      distinct_id: first.$distinct_id,
      properties: first.$properties,
      last_seen: new Date(`${String(first.$properties.$last_seen)}Z`),
    });
    const raw = await collect(ws.streamProfiles({ raw: true, distinctIds: [first.$distinct_id] }));
    expect(raw).toEqual([{ distinct_id: first.$distinct_id, properties: first.$properties }]);
    expect(existsSync(path)).toBe(false);
  });

  it('validates stream arguments when called', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    expect(() => ws.streamEvents({ fromDate: '2024-06-05', toDate: '2024-06-01' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => ws.streamEvents({ fromDate: '2024-06-01', toDate: '2024-06-01', chunkDays: 0 })).toThrow(
      InvalidArgumentError,
    );
  });
});
