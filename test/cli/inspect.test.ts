/** `mp inspect` (live and local) called as functions against the fake Mixpanel. */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchEvents, fetchProfiles } from '../../src/cli/commands/fetch.js';
import {
  inspectBreakdown,
  inspectCohorts,
  inspectColumn,
  inspectDrop,
  inspectDropAll,
  inspectEvents,
  inspectFunnels,
  inspectInfo,
  inspectKeys,
  inspectProperties,
  inspectSample,
  inspectSchema,
  inspectSummarize,
  inspectTables,
  inspectTopEvents,
  inspectValues,
} from '../../src/cli/commands/inspect.js';
import { InvalidArgumentError, StorageEngine, TableNotFoundError } from '../../src/index.js';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import { memoryIo, parseCsv, parseJsonLines, type TempHome, tempHome } from './support/cli-harness.js';

let fake: FakeMixpanel;
let home: TempHome;
let env: NodeJS.ProcessEnv;
let db: string;
let day: string;

beforeAll(async () => {
  fake = await startFakeMixpanel({ seed: 5, days: 2, eventsPerDay: 300, users: 60, rateLimits: 'off' });
  home = tempHome();
  env = home.envWith(fake);
  db = join(home.dir, 'inspect.db');
  day = fake.expected.days()[0]!;
  const m = memoryIo({ env });
  await fetchEvents({ from: day, to: day, path: db, quiet: true }, m.io);
  await fetchProfiles({ path: db, quiet: true }, m.io);
});
afterAll(async () => {
  await fake.close();
  home.remove();
});

async function json<T>(run: (io: ReturnType<typeof memoryIo>['io']) => Promise<void>): Promise<T> {
  const m = memoryIo({ env });
  await run(m.io);
  return JSON.parse(m.stdout()) as T;
}

describe('live inspect (no database)', () => {
  it('events lists the fake event names', async () => {
    const rows = await json<{ event: string }[]>((io) => inspectEvents({ format: 'json' }, io));
    expect(rows.map((r) => r.event).sort()).toEqual(fake.expected.eventNames().sort());
  });

  it('properties, values, top-events, funnels, cohorts', async () => {
    const props = await json<{ name: string; count: number }[]>((io) =>
      inspectProperties({ event: 'Purchase', limit: 5, format: 'json' }, io),
    );
    expect(props).toHaveLength(5);
    expect(props.every((p) => typeof p.name === 'string')).toBe(true);

    const values = await json<{ value: string }[]>((io) =>
      inspectValues({ property: '$browser', event: 'Page View', limit: 3, format: 'json' }, io),
    );
    expect(values.length).toBeGreaterThan(0);
    expect(values.length).toBeLessThanOrEqual(3);

    const top = await json<{ event: string; amount: number }[]>((io) =>
      inspectTopEvents({ limit: 3, format: 'json' }, io),
    );
    expect(top.length).toBeLessThanOrEqual(3);
    expect(fake.expected.eventNames()).toContain(top[0]?.event);

    const funnels = await json<{ funnel_id: number; name: string }[]>((io) =>
      inspectFunnels({ format: 'json' }, io),
    );
    expect(funnels.map((f) => f.funnel_id)).toEqual(fake.expected.funnels().map((f) => f.funnelId));

    const cohorts = await json<{ id: number; name: string; count: number }[]>((io) =>
      inspectCohorts({ format: 'json' }, io),
    );
    expect(cohorts.map((c) => c.name)).toEqual(fake.expected.cohorts().map((c) => c.name));
  });

  it('never opens the database (works with a path that does not exist)', async () => {
    const m = memoryIo({ env });
    await inspectEvents({ path: join(home.dir, 'never-created.db'), format: 'plain' }, m.io);
    expect(m.stdout().trimEnd().split('\n').sort()).toEqual(fake.expected.eventNames().sort());
  });
});

describe('local inspect (read-only)', () => {
  it('info and tables describe the database', async () => {
    const info = await json<Record<string, unknown>>((io) => inspectInfo({ path: db, format: 'json' }, io));
    const events = fake.expected.dedupedEventCount(day, day);
    expect(info).toMatchObject({
      backend: 'duckdb',
      readOnly: true,
      tables: 2,
      totalRows: events + fake.expected.profileCount(),
    });

    const tables = await json<{ name: string; type: string; rowCount: number }[]>((io) =>
      inspectTables({ path: db, format: 'json' }, io),
    );
    expect(tables.map((t) => [t.name, t.type, t.rowCount])).toEqual([
      ['events', 'events', events],
      ['profiles', 'profiles', fake.expected.profileCount()],
    ]);
  });

  it('schema, sample, summarize', async () => {
    const schema = await json<{ name: string }[]>((io) =>
      inspectSchema({ path: db, table: 'events', format: 'json' }, io),
    );
    expect(schema.map((c) => c.name)).toEqual([
      'event_name',
      'event_time',
      'distinct_id',
      'insert_id',
      'properties',
    ]);

    const sample = memoryIo({ env });
    await inspectSample({ path: db, table: 'events', n: 3, format: 'jsonl' }, sample.io);
    const rows = parseJsonLines(sample.stdout());
    expect(rows).toHaveLength(3);
    expect(typeof rows[0]?.event_time).toBe('string');
    expect(new Date(String(rows[0]?.event_time)).toISOString()).toBe(rows[0]?.event_time);

    const summary = await json<{ name: string; count: number; nulls: number }[]>((io) =>
      inspectSummarize({ path: db, table: 'events', format: 'json' }, io),
    );
    expect(summary.find((c) => c.name === 'event_name')).toMatchObject({
      count: fake.expected.dedupedEventCount(day, day),
      nulls: 0,
    });
  });

  it('breakdown matches the fake per event', async () => {
    const rows = await json<{ event: string; count: number }[]>((io) =>
      inspectBreakdown({ path: db, table: 'events', format: 'json' }, io),
    );
    expect(Object.fromEntries(rows.map((r) => [r.event, r.count]))).toEqual(
      fake.expected.countsByEventAndDay(day, day)[day],
    );
  });

  it('keys and column', async () => {
    const keys = memoryIo({ env });
    await inspectKeys({ path: db, table: 'events', event: 'Purchase', format: 'csv' }, keys.io);
    const [header, ...rows] = parseCsv(keys.stdout());
    expect(header).toEqual(['key', 'count', 'types']);
    expect(rows.map((r) => r[0])).toContain('$insert_id');

    const column = memoryIo({ env });
    await inspectColumn(
      { path: db, table: 'events', column: 'event_name', top: 2, format: 'table' },
      column.io,
    );
    expect(column.stdout().split('\n')[0]).toMatch(/^value\s+count$/);
    expect(column.stdout().trimEnd().split('\n')).toHaveLength(4);
    expect(column.stderr()).toMatch(/^event_name: [\d,]+ values, 0 nulls, \d+ distinct\.\n$/);
  });

  it('a missing table is not found', async () => {
    const m = memoryIo({ env });
    await expect(inspectSchema({ path: db, table: 'nope' }, m.io)).rejects.toBeInstanceOf(TableNotFoundError);
  });
});

describe('drop', () => {
  it('refuses without --force when nobody can confirm, asks on a terminal, drops with --force', async () => {
    const m = memoryIo({ env });
    await fetchEvents(
      { from: day, to: day, name: 'scratch', events: ['Search'], path: db, quiet: true },
      m.io,
    );
    await expect(inspectDrop({ path: db, table: 'scratch' }, m.io)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );

    const tty = new PassThrough();
    const asked = memoryIo({ env, ttyStdin: tty });
    const answered = inspectDrop({ path: db, table: 'scratch' }, asked.io);
    setTimeout(() => tty.write('n\n'), 20);
    await expect(answered).rejects.toThrow(/Not confirmed/);
    expect(asked.stderr()).toContain("Drop table 'scratch'? [y/N]");

    const forced = memoryIo({ env });
    await inspectDrop({ path: db, table: 'scratch', force: true, format: 'json' }, forced.io);
    expect(JSON.parse(forced.stdout())).toEqual([{ dropped: 'scratch' }]);
    await using storage = await StorageEngine.open({ path: db, readOnly: true });
    expect(await storage.tableExists('scratch')).toBe(false);
    expect(await storage.tableExists('events')).toBe(true);
  });

  it('drop-all --type drops only that type', async () => {
    const other = join(home.dir, 'dropall.db');
    const m = memoryIo({ env });
    await fetchEvents({ from: day, to: day, path: other, quiet: true }, m.io);
    await fetchProfiles({ path: other, quiet: true }, m.io);
    const d = memoryIo({ env });
    await inspectDropAll({ path: other, type: 'profiles', force: true, format: 'json' }, d.io);
    expect(JSON.parse(d.stdout())).toEqual([{ dropped: 'profiles' }]);
    await using storage = await StorageEngine.open({ path: other, readOnly: true });
    expect((await storage.listTables()).map((t) => t.name)).toEqual(['events']);
  });
});
