/**
 * `mp fetch` and `mp query` called as functions against the fake Mixpanel, with a temp home.
 * Counts come from `fake.expected`, never from pasted numbers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchEvents, fetchProfiles } from '../../src/cli/commands/fetch.js';
import { queryFunnel, queryRetention, querySegmentation, querySql } from '../../src/cli/commands/query.js';
import {
  AbortedError,
  DatabaseNotFoundError,
  FileNotFoundError,
  InvalidArgumentError,
  StorageEngine,
  TableExistsError,
} from '../../src/index.js';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import {
  memoryIo,
  parseCsv,
  parseJsonLines,
  stripAnsi,
  type TempHome,
  tempHome,
} from './support/cli-harness.js';

let fake: FakeMixpanel;
let home: TempHome;
let env: NodeJS.ProcessEnv;
let db: string;
let from: string;
let to: string;

beforeAll(async () => {
  fake = await startFakeMixpanel({ seed: 3, days: 4, eventsPerDay: 250, users: 80, rateLimits: 'off' });
  home = tempHome();
  env = home.envWith(fake);
  db = join(home.dir, 'cli.db');
  const days = fake.expected.days();
  from = days[0]!;
  to = days[1]!;
  const m = memoryIo({ env });
  await fetchEvents({ from, to, path: db, quiet: true }, m.io);
  await fetchProfiles({ path: db, quiet: true }, m.io);
});
afterAll(async () => {
  await fake.close();
  home.remove();
});

async function count(table: string, path = db): Promise<number> {
  await using storage = await StorageEngine.open({ path, readOnly: true });
  return Number(await storage.executeScalar(`SELECT count(*) FROM ${table}`));
}

describe('mp fetch events', () => {
  it('stores exactly the deduplicated events and prints the result in the chosen format', async () => {
    expect(await count('events')).toBe(fake.expected.dedupedEventCount(from, to));
    const m = memoryIo({ env });
    await fetchEvents({ from, to: from, name: 'day_one', path: db, format: 'json' }, m.io);
    const result = JSON.parse(m.stdout()) as Record<string, unknown>;
    expect(result).toMatchObject({
      table: 'day_one',
      rowsStored: fake.expected.dedupedEventCount(from, from),
      fromDate: from,
      toDate: from,
      chunks: 1,
      failedChunks: 0,
    });
    expect(await count('day_one')).toBe(result.rowsStored);
    expect(m.stderr()).toMatch(/^Stored [\d,]+ events in 'day_one' \(.*\) in .+\.\n$/);
  });

  it('refuses an existing table without --append/--replace, and appends only what is new', async () => {
    const m = memoryIo({ env });
    await expect(fetchEvents({ from, to, path: db, quiet: true }, m.io)).rejects.toBeInstanceOf(
      TableExistsError,
    );
    const next = fake.expected.days()[2]!;
    const a = memoryIo({ env });
    await fetchEvents({ from, to: next, path: db, append: true, format: 'jsonl' }, a.io);
    const [result] = parseJsonLines(a.stdout());
    expect(result?.rowsStored).toBe(fake.expected.dedupedEventCount(next, next));
    expect(await count('events')).toBe(fake.expected.dedupedEventCount(from, next));
  });

  it('--events filters and --replace swaps the table', async () => {
    const m = memoryIo({ env });
    await fetchEvents({ from, to, name: 'purchases', events: ['Purchase'], path: db, quiet: true }, m.io);
    expect(await count('purchases')).toBe(
      fake.expected.dedupedEventCount(from, to, { events: ['Purchase'] }),
    );
    await fetchEvents(
      { from, to: from, name: 'purchases', events: ['Sign Up'], replace: true, path: db, quiet: true },
      m.io,
    );
    expect(await count('purchases')).toBe(
      fake.expected.dedupedEventCount(from, from, { events: ['Sign Up'] }),
    );
  });

  it('rejects flag combinations before doing anything', async () => {
    const m = memoryIo({ env });
    await expect(
      fetchEvents({ from, to, append: true, replace: true, path: db }, m.io),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(fetchEvents({ from, to, raw: true, path: db }, m.io)).rejects.toThrow(
      /--raw only applies to --stdout/,
    );
    await expect(fetchEvents({ from, to, stdout: true, name: 'x' }, m.io)).rejects.toThrow(
      /--stdout writes no table/,
    );
    expect(fake.requests.filter((r) => r.family === 'export' && r.status === 0)).toHaveLength(0);
  });

  it('--stdout streams JSONL (records, or raw Mixpanel lines) without opening a database', async () => {
    const records = memoryIo({ env });
    await fetchEvents({ from, to: from, stdout: true }, records.io);
    const lines = parseJsonLines(records.stdout());
    expect(lines).toHaveLength(fake.expected.rawEventCount(from, from));
    expect(Object.keys(lines[0]!).sort()).toEqual([
      'distinct_id',
      'event_name',
      'event_time',
      'insert_id',
      'properties',
    ]);

    const raw = memoryIo({ env });
    await fetchEvents({ from, to: from, stdout: true, raw: true, quiet: true }, raw.io);
    const rawLines = raw.stdout().trimEnd().split('\n');
    expect(rawLines).toHaveLength(fake.expected.rawEventCount(from, from));
    expect(Object.keys(JSON.parse(rawLines[0]!) as object).sort()).toEqual(['event', 'properties']);
    // 64-bit ids keep every digit as bare JSON numbers, as Mixpanel writes them.
    const big = rawLines.find((l) => /"account_id":\d{17,}/.test(l));
    expect(big).toBeDefined();
    expect(raw.stderr()).toBe('');
  });

  it('draws a progress bar (chunks, rows, rate, ETA) only on a terminal, never with --quiet or --no-progress', async () => {
    const days = fake.expected.days();
    const tty = memoryIo({ env, stderrIsTTY: true });
    await fetchEvents({ from, to: days[3]!, name: 'progress_tty', path: db }, tty.io);
    expect(tty.stderr()).toMatch(
      /events \[.*\] \d+% \| \d+\/4 chunks \| [\d,]+ rows \| [\d,]+ rows\/s \| ETA /,
    );
    expect(tty.stderr()).toMatch(/Stored [\d,]+ events in 'progress_tty'/);

    const pipe = memoryIo({ env });
    await fetchEvents({ from, to: from, name: 'progress_pipe', path: db }, pipe.io);
    const quiet = memoryIo({ env, stderrIsTTY: true });
    await fetchEvents({ from, to: from, name: 'progress_quiet', path: db, quiet: true }, quiet.io);
    const off = memoryIo({ env, stderrIsTTY: true });
    await fetchEvents({ from, to: from, name: 'progress_off', path: db, progress: false }, off.io);
    for (const m of [pipe, off])
      expect(stripAnsi(m.stderr())).toMatch(/^Stored [\d,]+ events in '\w+' \(.*\) in .+\.\n$/);
    expect(quiet.stderr()).toBe('');
  });

  it('an abort (Ctrl-C) mid-fetch rolls back: no table is left behind', async () => {
    fake.inject({ match: { family: 'export' }, fault: { kind: 'slow', chunkDelayMs: 200 }, times: 10 });
    const controller = new AbortController();
    const m = memoryIo({ env, signal: controller.signal });
    const run = fetchEvents({ from, to, name: 'interrupted', path: db, quiet: true }, m.io);
    setTimeout(() => controller.abort(), 300);
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    await using storage = await StorageEngine.open({ path: db, readOnly: true });
    expect(await storage.tableExists('interrupted')).toBe(false);
    fake.reset();
  });
});

describe('mp fetch profiles', () => {
  it('stores every profile', async () => {
    expect(await count('profiles')).toBe(fake.expected.profileCount());
    const m = memoryIo({ env });
    await fetchProfiles({ stdout: true, quiet: true }, m.io);
    expect(parseJsonLines(m.stdout())).toHaveLength(fake.expected.profileCount());
  });
});

describe('mp query sql', () => {
  const sql = 'SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC, event_name';

  async function expectedCounts(): Promise<Map<string, number>> {
    await using storage = await StorageEngine.open({ path: db, readOnly: true });
    const rows = await storage.executeObjects(sql);
    return new Map(rows.map((r) => [String(r.event_name), Number(r.n)]));
  }

  it('json, jsonl and csv all parse and agree with the database', async () => {
    const expected = await expectedCounts();
    expect(expected.size).toBeGreaterThan(3);

    const json = memoryIo({ env });
    await querySql({ sql, path: db, format: 'json' }, json.io);
    const parsed = JSON.parse(json.stdout()) as { event_name: string; n: number }[];
    expect(new Map(parsed.map((r) => [r.event_name, r.n]))).toEqual(expected);
    expect(json.stderr()).toMatch(new RegExp(`^${expected.size} rows in `));

    const jsonl = memoryIo({ env });
    await querySql({ sql, path: db, format: 'jsonl', quiet: true }, jsonl.io);
    expect(new Map(parseJsonLines(jsonl.stdout()).map((r) => [r.event_name, r.n]))).toEqual(expected);
    expect(jsonl.stderr()).toBe('');

    const csv = memoryIo({ env });
    await querySql({ sql, path: db, format: 'csv' }, csv.io);
    const [header, ...rows] = parseCsv(csv.stdout());
    expect(header).toEqual(['event_name', 'n']);
    expect(new Map(rows.map(([name, n]) => [name!, Number(n)]))).toEqual(expected);
  });

  it('--scalar prints one value; SQL may come from --file or stdin', async () => {
    const total = await count('events');
    const scalar = memoryIo({ env });
    await querySql({ sql: 'SELECT count(*) FROM events', path: db, scalar: true }, scalar.io);
    expect(scalar.stdout()).toBe(`${total}\n`);

    const file = join(home.dir, 'q.sql');
    writeFileSync(file, 'SELECT count(*) AS total FROM profiles');
    const fromFile = memoryIo({ env });
    await querySql({ file, path: db, format: 'jsonl' }, fromFile.io);
    expect(parseJsonLines(fromFile.stdout())).toEqual([{ total: fake.expected.profileCount() }]);

    const piped = memoryIo({ env, stdin: 'SELECT 40 + 2 AS answer' });
    await querySql({ path: db, scalar: true }, piped.io);
    expect(piped.stdout()).toBe('42\n');
  });

  it('not found: the SQL file, the database', async () => {
    const m = memoryIo({ env });
    await expect(querySql({ file: join(home.dir, 'missing.sql'), path: db }, m.io)).rejects.toBeInstanceOf(
      FileNotFoundError,
    );
    await expect(
      querySql({ sql: 'SELECT 1', path: join(home.dir, 'nothing.db') }, m.io),
    ).rejects.toBeInstanceOf(DatabaseNotFoundError);
    await expect(querySql({ path: db }, m.io)).rejects.toThrow(/No SQL given/);
  });

  it('opens the database read-only: writes are refused', async () => {
    const m = memoryIo({ env });
    await expect(querySql({ sql: 'DROP TABLE events', path: db }, m.io)).rejects.toThrow();
    expect(await count('events')).toBeGreaterThan(0);
  });
});

describe('mp query live reports', () => {
  it('segmentation: one row per day, one column per event, counts from the fake', async () => {
    const m = memoryIo({ env });
    await querySegmentation({ event: 'Purchase', from, to, format: 'json' }, m.io);
    const rows = JSON.parse(m.stdout()) as Record<string, unknown>[];
    const expected = fake.expected.countsByEventAndDay(from, to);
    expect(rows.map((r) => r.date)).toEqual([from, to]);
    for (const row of rows) expect(row.Purchase).toBe(expected[String(row.date)]?.Purchase ?? 0);
  });

  it('funnel: one row per step with conversions', async () => {
    const [funnel] = fake.expected.funnels();
    const m = memoryIo({ env });
    await queryFunnel({ id: funnel!.funnelId, from, to, format: 'json' }, m.io);
    const steps = JSON.parse(m.stdout()) as {
      step: number;
      event: string;
      count: number;
      overallConversion: number;
    }[];
    expect(steps.map((s) => s.step)).toEqual(steps.map((_, i) => i + 1));
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(steps[0]?.overallConversion).toBe(1);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.count).toBeLessThanOrEqual(steps[i - 1]!.count);
  });

  it('retention: one row per cohort with d0..dN', async () => {
    const m = memoryIo({ env });
    await queryRetention({ from, to, bornEvent: 'Sign Up', format: 'csv' }, m.io);
    const [header, ...rows] = parseCsv(m.stdout());
    expect(header?.slice(0, 3)).toEqual(['cohort', 'size', 'd0']);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row[0]).toMatch(/^\d{4}-\d\d-\d\d/);
  });
});
