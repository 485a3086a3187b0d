/**
 * The BUILT `mp` with other processes around it: the lock behaviour table of the storage docs,
 * Ctrl-C, piping, `mp demo` and `mp fake-server`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { StorageEngine } from '../../src/index.js';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import { spawnFixture, waitForLine } from '../support/child-process.js';
import { ANSI, type TempHome, tempHome } from './support/cli-harness.js';
import { ensureBuilt, MP_BIN, runMp, spawnMp, waitUntil } from './support/run-mp.js';

let fake: FakeMixpanel;
let home: TempHome;
let env: NodeJS.ProcessEnv;
let db: string;
let day: string;

beforeAll(async () => {
  ensureBuilt();
  fake = await startFakeMixpanel({ seed: 13, days: 2, eventsPerDay: 300, users: 60, rateLimits: 'off' });
  home = tempHome();
  env = home.envWith(fake);
  db = join(home.dir, 'locks.db');
  day = fake.expected.days()[0]!;
  const r = await runMp(['fetch', 'events', '--from', day, '--to', day, '--path', db, '-q'], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}, 120_000);
afterAll(async () => {
  await fake?.close();
  home?.remove();
});

async function tableExists(path: string, table: string): Promise<boolean> {
  await using storage = await StorageEngine.open({ path, readOnly: true });
  return await storage.tableExists(table);
}

/** Slows every export stream down so a fetch stays in flight for a few seconds. */
function slowExports(): void {
  fake.inject({ match: { family: 'export' }, fault: { kind: 'slow', chunkDelayMs: 250 }, times: 20 });
}

describe('locks (one writer or many readers per DuckDB file)', () => {
  it('two mp query at once both succeed', async () => {
    const sql = 'SELECT count(*) FROM events';
    const [a, b] = await Promise.all([
      runMp(['query', 'sql', sql, '--path', db, '--scalar'], env),
      runMp(['query', 'sql', sql, '--path', db, '--scalar'], env),
    ]);
    const expected = String(fake.expected.dedupedEventCount(day, day));
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([a.stdout.trim(), b.stdout.trim()]).toEqual([expected, expected]);
  });

  it('6: a held write lock names the holder PID; --wait waits for it', async () => {
    const held = join(home.dir, 'held.db');
    const holder = spawnFixture('hold-database.mjs', [held, 'write']);
    const ready = await waitForLine(holder, /^ready \d+/);
    const pid = ready.split(' ')[1];
    const r = await runMp(['query', 'sql', 'SELECT 1', '--path', held], env);
    expect(r.code).toBe(EXIT_CODES.databaseLocked);
    expect(r.stderr).toContain(`Database locked by process ${pid}: ${held}`);
    expect(r.stderr).toContain('--wait SECONDS');

    const waiting = spawnMp(
      ['query', 'sql', 'SELECT count(*) FROM events', '--path', held, '--scalar', '--wait', '20'],
      env,
    );
    setTimeout(() => holder.stdin.write('release\n'), 500);
    const waited = await waiting.done();
    expect(waited.stderr).toBe('');
    expect(waited.code).toBe(0);
    expect(waited.stdout.trim()).toBe('1');
  });

  it('mp fetch running + mp query → exit 6 with the fetch PID; the fetch still completes', async () => {
    slowExports();
    const path = join(home.dir, 'busy.db');
    const fetching = spawnMp(['fetch', 'events', '--from', day, '--to', day, '--path', path, '-q'], env);
    const before = fake.requests.length;
    await waitUntil(
      () => fake.requests.slice(before).some((r) => r.family === 'export'),
      'the export request',
    );
    const query = await runMp(['query', 'sql', 'SELECT 1', '--path', path], env);
    expect(query.code).toBe(EXIT_CODES.databaseLocked);
    expect(query.stderr).toContain(`by process ${fetching.child.pid}`);
    const fetched = await fetching.done();
    fake.reset();
    expect(fetched.code).toBe(0);
    expect(await tableExists(path, 'events')).toBe(true);
  });
});

describe('Ctrl-C', () => {
  it('130: SIGINT during a slow fetch aborts cleanly and leaves no table', async () => {
    slowExports();
    const fetching = spawnMp(
      ['fetch', 'events', '--from', day, '--to', day, '--path', db, '--name', 'interrupted'],
      env,
    );
    const before = fake.requests.length;
    await waitUntil(
      () => fake.requests.slice(before).some((r) => r.family === 'export'),
      'the export request',
    );
    fetching.child.kill('SIGINT');
    const r = await fetching.done();
    fake.reset();
    expect(r.code).toBe(EXIT_CODES.interrupted);
    expect(r.stderr).toContain('[ABORTED]');
    expect(await tableExists(db, 'interrupted')).toBe(false);
    expect(await tableExists(db, 'events')).toBe(true);
  });
});

describe('pipes', () => {
  it('mp fetch events --stdout | node (counting lines) sees every exported event', async () => {
    const counter = spawn(
      process.execPath,
      [
        '-e',
        "let n=0;process.stdin.on('data',d=>{for(const c of d)if(c===10)n++});process.stdin.on('end',()=>console.log(n))",
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const mp = spawn(process.execPath, [MP_BIN, 'fetch', 'events', '--from', day, '--to', day, '--stdout'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    mp.stdout.pipe(counter.stdin);
    let stderr = '';
    mp.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let counted = '';
    counter.stdout.on('data', (d: Buffer) => {
      counted += d.toString();
    });
    const [mpCode] = await Promise.all([
      new Promise((resolve) => mp.once('close', resolve)),
      new Promise((resolve) => counter.once('close', resolve)),
    ]);
    expect(mpCode).toBe(0);
    const expected = fake.expected.rawEventCount(day, day);
    expect(Number(counted.trim())).toBe(expected);
    expect(stderr).toBe(`Streamed ${expected.toLocaleString('en-US')} events in ${stderr.split(' in ')[1]}`);
  });
});

describe('mp demo', () => {
  it('fetches the fake data into a database and prints events per name', async () => {
    const path = join(home.dir, 'demo.db');
    const r = await runMp(['demo', '--path', path], { ...home.env, NO_COLOR: '1' });
    expect(r.code).toBe(0);
    // The demo's own fake: 7 days with the default seed; the same data set answers here.
    await using reference = await startFakeMixpanel({ days: 7 });
    const days = reference.expected.days();
    const expected = reference.expected.countsByEventAndDay(days[0]!, days[days.length - 1]!);
    const perEvent = new Map<string, number>();
    for (const counts of Object.values(expected)) {
      for (const [event, n] of Object.entries(counts)) perEvent.set(event, (perEvent.get(event) ?? 0) + n);
    }
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^event\s+count\s+users\s+share$/);
    for (const [event, n] of perEvent)
      expect(lines.some((l) => l.startsWith(event) && l.includes(` ${n} `))).toBe(true);
    expect(r.stderr).toContain('Try next:');
    expect(r.stderr).toContain(`mp inspect tables --path ${path}`);
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
    await using storage = await StorageEngine.open({ path, readOnly: true });
    const total = [...perEvent.values()].reduce((a, b) => a + b, 0);
    expect(Number(await storage.executeScalar('SELECT count(*) FROM events'))).toBe(total);
    expect(Number(await storage.executeScalar('SELECT count(*) FROM profiles'))).toBe(
      reference.expected.profileCount(),
    );
  });
});

describe('mp fake-server', () => {
  it('prints one JSON line, serves the API, exits 0 on SIGTERM', async () => {
    const server = spawnMp(['fake-server', '--seed', '7', '--days', '2', '--events', '50'], home.env);
    await waitUntil(() => server.stdout().includes('\n'), 'the announcement line');
    const announcement = JSON.parse(server.stdout().split('\n')[0]!) as Record<string, string>;
    expect(Object.keys(announcement).sort()).toEqual(['projectId', 'secret', 'url', 'username']);
    expect(announcement.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const events = await runMp(['inspect', 'events', '--format', 'json'], {
      ...home.env,
      MP_API_BASE_URL: announcement.url,
      MP_USERNAME: announcement.username,
      MP_SECRET: announcement.secret,
      MP_PROJECT_ID: announcement.projectId,
      MP_REGION: 'us',
    });
    expect(events.code).toBe(0);
    expect((JSON.parse(events.stdout) as unknown[]).length).toBeGreaterThan(0);
    expect(events.stdout + events.stderr).not.toContain(announcement.secret);

    server.child.kill('SIGTERM');
    const r = await server.done();
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('Fake Mixpanel stopped.');
  });

  it('--export-cache precompute serves the same events (raw lines byte for byte) as the generating fake', async () => {
    const raw = async (extra: string[]) => {
      const server = spawnMp(
        ['fake-server', '--seed', '11', '--days', '2', '--events', '300', ...extra],
        home.env,
      );
      await waitUntil(() => server.stdout().includes('\n'), 'the announcement line');
      const a = JSON.parse(server.stdout().split('\n')[0]!) as Record<string, string>;
      const fetched = await runMp(
        ['fetch', 'events', '--from', '2024-06-01', '--to', '2024-06-02', '--stdout', '--raw'],
        {
          ...home.env,
          MP_API_BASE_URL: a.url,
          MP_USERNAME: a.username,
          MP_SECRET: a.secret,
          MP_PROJECT_ID: a.projectId,
          MP_REGION: 'us',
        },
      );
      server.child.kill('SIGTERM');
      expect((await server.done()).code).toBe(0);
      expect(fetched.code).toBe(0);
      return fetched.stdout;
    };
    const generated = await raw([]);
    expect(generated.split('\n').filter(Boolean).length).toBeGreaterThan(300);
    expect(await raw(['--export-cache', 'precompute'])).toBe(generated);
    const bad = await runMp(['fake-server', '--export-cache', 'always'], home.env);
    expect(bad.code).toBe(3); // usage error
    expect(bad.stderr).toContain('always');
  });
});
