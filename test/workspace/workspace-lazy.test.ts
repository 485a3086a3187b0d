/**
 * The Workspace's lazy resources: discovery never opens the database (so it works while another
 * process holds the DuckDB write lock), local SQL needs no credentials, and the database opens at
 * the default path, read-only, ephemeral or in memory as asked.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  DatabaseClosedError,
  DatabaseLockedError,
  ReadOnlyError,
  StorageEngine,
  Workspace,
} from '../../src/index.js';
import type { FakeMixpanel } from '../../src/testing/index.js';
import { requireBuild, spawnFixture, waitForExit, waitForLine } from '../support/child-process.js';
import { tempDir } from '../support/temp-dir.js';
import {
  dbPath,
  exportRequests,
  fakeEnv,
  fakeWorkspace,
  rejection,
  startFake,
} from './support/fake-workspace.js';

let fake: FakeMixpanel;

beforeAll(async () => {
  fake = await startFake({ seed: 3, days: 5, eventsPerDay: 200, users: 50 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

/** An environment with no credentials at all and no config file. */
function emptyEnv(): NodeJS.ProcessEnv {
  const dir = tempDir('mp-ws-empty-');
  return { MP_CONFIG_PATH: join(dir, 'config.toml'), MP_DATA_DIR: join(dir, 'data') };
}

describe('discovery and live queries never open the database', () => {
  it('answers events() without creating the database file', async () => {
    const path = dbPath();
    await using ws = fakeWorkspace(fake, { path });
    const names = await ws.events();
    expect(new Set(names)).toEqual(new Set(fake.expected.eventNames()));
    const properties = await ws.properties('Purchase');
    expect(properties.length).toBeGreaterThan(0);
    expect(await ws.properties({ event: 'Purchase', limit: 2 })).toHaveLength(2);
    expect((await ws.funnels()).length).toBe(fake.expected.funnels().length);
    expect((await ws.cohorts()).length).toBe(fake.expected.cohorts().length);
    const day = fake.expected.days()[1]!;
    const segmentation = await ws.segmentation({ event: 'Purchase', fromDate: day, toDate: day });
    expect(segmentation.data.values.Purchase?.[day]).toBe(
      fake.expected.countsByEventAndDay(day, day)[day]?.Purchase,
    );
    expect(existsSync(path)).toBe(false);
    await ws.close();
    expect(existsSync(path)).toBe(false);
  });

  it('works while another process holds the write lock on the same database', async () => {
    requireBuild();
    const path = dbPath();
    const child = spawnFixture('hold-database.mjs', [path, 'write']);
    await waitForLine(child, /^ready \d+/);
    try {
      await using ws = fakeWorkspace(fake, { path });
      expect((await ws.events()).length).toBeGreaterThan(0);
      expect((await ws.topEvents({ limit: 3 })).type).toBe('general');
      // Only the first storage use meets the lock.
      const error = await rejection(ws.sql('SELECT 1'));
      expect(error).toBeInstanceOf(DatabaseLockedError);
      // The failed open is not cached: once released, the same workspace opens the file.
      child.stdin.write('release\n');
      await waitForExit(child);
      expect(await ws.sqlScalar('SELECT count(*) FROM events')).toBe(1);
    } finally {
      if (child.exitCode === null) child.stdin.write('release\n');
    }
  });
});

describe('credentials are resolved only when the API is used', () => {
  it('runs SQL on an existing file with no credentials configured', async () => {
    const path = dbPath();
    {
      await using storage = await StorageEngine.open({ path });
      await storage.createEventsTable('events', [{ event_name: 'a', event_time: 0, insert_id: 'x' }], {
        type: 'events',
      });
    }
    await using ws = new Workspace({ path, env: emptyEnv() });
    expect(await ws.sqlScalar('SELECT count(*) FROM events')).toBe(1);
    expect(await ws.sql('SELECT event_name FROM events')).toEqual([{ event_name: 'a' }]);
    expect((await ws.sqlRows('SELECT insert_id FROM events')).rows).toEqual([['x']]);
    expect((await ws.tables()).map((t) => t.name)).toEqual(['events']);
    // The API, on the other hand, needs credentials.
    expect(() => ws.client()).toThrow(ConfigError);
    await expect(ws.events()).rejects.toBeInstanceOf(ConfigError);
  });

  it('fails a fetch without credentials before creating the database file', async () => {
    const path = dbPath();
    await using ws = new Workspace({ path, env: emptyEnv() });
    const error = await rejection(ws.fetchEvents({ fromDate: '2024-06-01', toDate: '2024-06-01' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(existsSync(path)).toBe(false);
  });

  it('resolves the credentials from the environment and sends them to the configured base URL', async () => {
    await using ws = new Workspace({ env: fakeEnv(fake), path: dbPath() });
    const day = fake.expected.days()[0]!;
    // One chunk of 3 days: a single request, well inside the fake's per-second limit.
    const result = await ws.fetchEvents({ fromDate: day, toDate: fake.expected.days()[2]!, chunkDays: 3 });
    expect(result.rowsStored).toBe(fake.expected.dedupedEventCount(day, fake.expected.days()[2]!));
    const [request] = exportRequests(fake);
    expect(request?.principal).toEqual({ kind: 'serviceAccount', user: fake.serviceAccount.username });
    expect(request?.query.project_id).toBe(fake.projectId);
  });

  it('overrides the project id of the credentials', async () => {
    await using ws = new Workspace({ env: fakeEnv(fake), projectId: '42' });
    expect(ws.client().describe().auth.projectId).toBe('42');
  });
});

describe('where the database lives', () => {
  it('opens ~/.mp/data/{projectId}.db by default (MP_DATA_DIR honoured), on first use', async () => {
    const env = fakeEnv(fake);
    await using ws = new Workspace({ env });
    const expected = join(env.MP_DATA_DIR!, `${fake.projectId}.db`);
    expect(existsSync(expected)).toBe(false);
    const storage = await ws.storage();
    expect(storage.path).toBe(expected);
    expect(storage.backend).toBe('duckdb');
    expect(existsSync(expected)).toBe(true);
    expect(await ws.storage()).toBe(storage);
  });

  it('names the default file after the projectId option without resolving credentials', async () => {
    const env = emptyEnv();
    await using ws = new Workspace({ env, projectId: '777' });
    expect((await ws.storage()).path).toBe(join(env.MP_DATA_DIR!, '777.db'));
  });

  it('refuses to fetch into a read-only workspace before sending a request', async () => {
    const path = dbPath();
    {
      await using writer = fakeWorkspace(fake, { path });
      await writer.fetchEvents({ fromDate: '2024-06-01', toDate: '2024-06-01' });
    }
    fake.clearRequests();
    await using ws = fakeWorkspace(fake, { path, readOnly: true });
    expect((await ws.storage()).readOnly).toBe(true);
    const error = await rejection(
      ws.fetchEvents({ name: 'other', fromDate: '2024-06-01', toDate: '2024-06-01' }),
    );
    expect(error).toBeInstanceOf(ReadOnlyError);
    expect(fake.requests).toHaveLength(0);
    expect(Number(await ws.sqlScalar('SELECT count(*) FROM events'))).toBeGreaterThan(0);
  });

  it('removes an ephemeral database at the end of await using', async () => {
    let path = '';
    {
      await using ws = Workspace.ephemeral({ env: fakeEnv(fake) });
      path = (await ws.storage()).path;
      expect(existsSync(path)).toBe(true);
      await ws.sql('CREATE TABLE t (x INTEGER)');
    }
    expect(existsSync(path)).toBe(false);
  });

  it('keeps an in-memory database in RAM and refuses storage after close', async () => {
    const ws = new Workspace({ inMemory: true, env: emptyEnv() });
    expect((await ws.storage()).mode).toBe('memory');
    await ws.close();
    await ws.close();
    await expect(ws.storage()).rejects.toBeInstanceOf(DatabaseClosedError);
  });
});
