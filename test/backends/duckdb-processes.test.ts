import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatabaseLockedError, DatabaseNotFoundError, StorageEngine } from '../../src/index.js';
import { requireBuild, spawnFixture, waitForExit, waitForLine } from '../support/child-process.js';
import { events } from '../support/records.js';
import { tempDir } from '../support/temp-dir.js';

// Seed 001's concurrency table, with real processes: DuckDB allows one writer OR many readers.
describe('DuckDB locking across processes', () => {
  beforeAll(requireBuild);
  const dir = tempDir('mp-locks-');

  async function holder(path: string, mode: 'write' | 'read') {
    const child = spawnFixture('hold-database.mjs', [path, mode]);
    const line = await waitForLine(child, /^ready \d+/);
    return { child, pid: Number(line.split(' ')[1]) };
  }

  it('a second writer gets DatabaseLockedError naming the holder PID', async () => {
    const path = join(dir, 'two-writers.db');
    const { child, pid } = await holder(path, 'write');
    const error = await StorageEngine.open({ path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseLockedError);
    expect((error as DatabaseLockedError).holderPid).toBe(pid);
    expect((error as Error).message).toContain(`process ${pid}`);
    expect((error as Error).message).toContain(path);
    expect((error as DatabaseLockedError).code).toBe('DATABASE_LOCKED');
    child.stdin.write('release\n');
    await waitForExit(child);
  });

  it('a reader is refused while a writer holds the file', async () => {
    const path = join(dir, 'writer-reader.db');
    const { child, pid } = await holder(path, 'write');
    const error = await StorageEngine.open({ path, readOnly: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseLockedError);
    expect((error as DatabaseLockedError).holderPid).toBe(pid);
    child.stdin.write('release\n');
    await waitForExit(child);
  });

  it('two readers work at once', async () => {
    const path = join(dir, 'two-readers.db');
    const seed = await StorageEngine.open({ path });
    await seed.createEventsTable('events', events(42), { type: 'events' });
    await seed.close();
    const { child } = await holder(path, 'read');
    await using reader = await StorageEngine.open({ path, readOnly: true });
    expect(await reader.executeScalar('SELECT count(*) FROM events')).toBe(42);
    child.stdin.write('release\n');
    expect((await waitForExit(child)).code).toBe(0);
  });

  it('waits for the lock with lockTimeoutMs, then succeeds', async () => {
    const path = join(dir, 'wait.db');
    const { child } = await holder(path, 'write');
    setTimeout(() => child.stdin.write('release\n'), 400);
    await using engine = await StorageEngine.open({ path, lockTimeoutMs: 20_000 });
    expect(await engine.executeScalar('SELECT count(*) FROM events')).toBe(1);
  });

  it('read-only open of a missing file says to fetch first', async () => {
    const path = join(dir, 'missing.db');
    const error = await StorageEngine.open({ path, readOnly: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseNotFoundError);
    expect((error as Error).message).toBe(
      `No data yet: ${path}\nRun 'mp fetch events' or 'mp fetch profiles' to create the database.`,
    );
    expect(existsSync(path)).toBe(false);
  });
});

describe('DuckDB in one process', () => {
  const dir = tempDir('mp-shared-');

  it("two engines on one file share one database: each sees the other's writes", async () => {
    const path = join(dir, 'shared.db');
    await using a = await StorageEngine.open({ path });
    await using b = await StorageEngine.open({ path });
    await a.createEventsTable('events', events(10), { type: 'events' });
    expect(await b.executeScalar('SELECT count(*) FROM events')).toBe(10);
    await b.appendEventsTable('events', events(5, 10));
    expect(await a.executeScalar('SELECT count(*) FROM events')).toBe(15);
    await a.close();
    expect(await b.executeScalar('SELECT count(*) FROM events')).toBe(15);
  });

  it('releases the file lock on close so another process can write', async () => {
    const path = join(dir, 'released.db');
    const engine = await StorageEngine.open({ path });
    await engine.createEventsTable('events', events(3), { type: 'events' });
    await engine.close();
    requireBuild();
    const child = spawnFixture('hold-database.mjs', [path, 'write']);
    await waitForLine(child, /^ready/);
    child.stdin.write('release\n');
    expect((await waitForExit(child)).code).toBe(0);
  });

  it('applies settings and reads them back from the engine', async () => {
    await using engine = await StorageEngine.inMemory({ settings: { memory_limit: '512MB', threads: 1 } });
    const settings = Object.fromEntries((await engine.settings()).map((s) => [s.key, s]));
    expect(settings['database.duckdb.memory_limit']).toMatchObject({ value: '488.2 MiB', source: 'option' });
    expect(settings['database.duckdb.threads']).toMatchObject({ value: '1', source: 'option' });
    expect(await engine.executeScalar("SELECT current_setting('threads')")).toBe(1);
  });

  it('supports the DuckDB JSONPath spelling of the seeds', async () => {
    await using engine = await StorageEngine.inMemory();
    await engine.createEventsTable(
      'events',
      [
        {
          event_name: 'e',
          event_time: 0,
          distinct_id: 'u',
          properties: { user: { plan: 'pro' }, amount: 150.5 },
        },
      ],
      { type: 'events' },
    );
    expect(await engine.executeScalar("SELECT properties->>'$.user.plan' FROM events")).toBe('pro');
    expect(
      await engine.executeScalar("SELECT CAST(properties->>'$.amount' AS DECIMAL(10,2)) FROM events"),
    ).toBe(150.5);
    expect(engine.path).toBe(':memory:');
  });
});

describe('ephemeral databases are removed however the process ends', () => {
  beforeAll(requireBuild);

  it.each([
    ['SIGINT', 'wait'],
    ['SIGTERM', 'wait'],
    ['normal exit', 'exit'],
    ['uncaught exception', 'throw'],
  ])('%s', async (how, mode) => {
    const child = spawnFixture('ephemeral-child.mjs', [mode]);
    const path = (await waitForLine(child, /ephemeral\.duckdb$/)).trim();
    if (mode === 'wait') expect(existsSync(path)).toBe(true);
    if (how.startsWith('SIG')) child.kill(how as NodeJS.Signals);
    const exit = await waitForExit(child);
    if (how.startsWith('SIG')) expect(exit.signal).toBe(how);
    if (how === 'uncaught exception') expect(exit.code).toBe(1);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.wal`)).toBe(false);
    expect(existsSync(dirname(path))).toBe(false);
  });

  it('on close() and at the end of `await using`', async () => {
    let path = '';
    {
      await using engine = await StorageEngine.ephemeral();
      await engine.createEventsTable('events', events(5), { type: 'events' });
      path = engine.path;
      expect(existsSync(path)).toBe(true);
    }
    expect(existsSync(dirname(path))).toBe(false);
  });
});
