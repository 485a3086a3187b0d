/**
 * The BUILT `mp` run as a child process against a fake Mixpanel in this process: help, output
 * formats, and every exit code that does not need a second process (see e2e-processes.test.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import { ANSI, parseCsv, parseJsonLines, type TempHome, tempHome } from './support/cli-harness.js';
import { ensureBuilt, type MpResult, runMp } from './support/run-mp.js';

let fake: FakeMixpanel;
let home: TempHome;
let env: NodeJS.ProcessEnv;
let db: string;
let day: string;
/** Every output of every run, checked at the end for the secret. */
const outputs: string[] = [];

async function mp(args: readonly string[], runEnv = env, stdin?: string): Promise<MpResult> {
  const result = await runMp(args, runEnv, stdin);
  outputs.push(result.stdout, result.stderr);
  return result;
}

beforeAll(async () => {
  ensureBuilt();
  fake = await startFakeMixpanel({ seed: 11, days: 2, eventsPerDay: 200, users: 50, rateLimits: 'off' });
  home = tempHome();
  env = home.envWith(fake, { NO_COLOR: '1' });
  db = join(home.dir, 'e2e.db');
  day = fake.expected.days()[0]!;
  const fetched = await mp(['fetch', 'events', '--from', day, '--to', day, '--path', db, '--format', 'json']);
  expect(fetched.stderr).toMatch(/^Stored /);
  expect(fetched.code).toBe(0);
  expect(JSON.parse(fetched.stdout)).toMatchObject({ rowsStored: fake.expected.dedupedEventCount(day, day) });
}, 120_000);
afterAll(async () => {
  await fake?.close();
  home?.remove();
});

describe('help', () => {
  it('every level has examples; --version prints the version', async () => {
    for (const args of [
      [],
      ['fetch', 'events'],
      ['query', 'sql'],
      ['inspect'],
      ['auth', 'add'],
      ['fake-server'],
    ]) {
      const r = await mp([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toContain('Examples:');
      expect(r.stdout).toContain('$ mp ');
    }
    const version = await mp(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('formats', () => {
  const sql = 'SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 1';
  it('json, jsonl and csv parse and agree with the fake', async () => {
    const expected = fake.expected.countsByEventAndDay(day, day)[day];
    const json = await mp(['query', 'sql', sql, '--path', db, '--format', 'json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as { event_name: string; n: number }[];
    expect(Object.fromEntries(rows.map((r) => [r.event_name, r.n]))).toEqual(expected);

    const jsonl = await mp(['query', 'sql', sql, '--path', db, '--format', 'jsonl']);
    expect(Object.fromEntries(parseJsonLines(jsonl.stdout).map((r) => [r.event_name, r.n]))).toEqual(
      expected,
    );

    const csv = await mp(['query', 'sql', sql, '--path', db, '--format', 'csv', '-q']);
    const [header, ...body] = parseCsv(csv.stdout);
    expect(header).toEqual(['event_name', 'n']);
    expect(Object.fromEntries(body.map(([k, v]) => [k, Number(v)]))).toEqual(expected);
    expect(csv.stderr).toBe('');

    const table = await mp(['inspect', 'tables', '--path', db]);
    expect(table.stdout.split('\n')[0]).toMatch(/^name\s+type\s+rowCount/);
    for (const r of [json, jsonl, csv, table]) expect(r.stdout + r.stderr).not.toMatch(ANSI);
  });
});

describe('exit codes', () => {
  it('2: Mixpanel rejects the secret', async () => {
    const bad = { ...env, MP_SECRET: 'definitely-wrong-secret' };
    const r = await mp(['inspect', 'events'], bad);
    expect(r.code).toBe(EXIT_CODES.authentication);
    expect(r.stderr).toContain('[AUTHENTICATION_FAILED]');
    expect(r.stderr).toContain('Hint:');
    expect(r.stderr).not.toContain('definitely-wrong-secret');
  });

  it('3: usage errors, from commander and from the command', async () => {
    const unknown = await mp(['query', 'sql', 'SELECT 1', '--nope']);
    expect(unknown.code).toBe(EXIT_CODES.invalidArguments);
    expect(unknown.stderr).toMatch(/^Error: unknown option '--nope' \[INVALID_ARGUMENT\]/);

    const both = await mp([
      'fetch',
      'events',
      '--from',
      day,
      '--to',
      day,
      '--append',
      '--replace',
      '--format',
      'json',
    ]);
    expect(both.code).toBe(EXIT_CODES.invalidArguments);
    expect(JSON.parse(both.stderr)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });

    const raw = await mp(['fetch', 'events', '--from', day, '--to', day, '--raw']);
    expect(raw.code).toBe(EXIT_CODES.invalidArguments);
    expect(raw.stderr).toContain('--raw only applies to --stdout');

    const missing = await mp(['fetch', 'events']);
    expect(missing.code).toBe(EXIT_CODES.invalidArguments);
    expect(missing.stderr).toContain("'--from <date>' not specified");
  });

  it('4: a missing table, database or account', async () => {
    const table = await mp(['inspect', 'schema', '-t', 'nope', '--path', db]);
    expect(table.code).toBe(EXIT_CODES.notFound);
    expect(table.stderr).toContain("Table 'nope' does not exist.");

    const database = await mp([
      'query',
      'sql',
      'SELECT 1',
      '--path',
      join(home.dir, 'missing.db'),
      '--format',
      'json',
    ]);
    expect(database.code).toBe(EXIT_CODES.notFound);
    const error = JSON.parse(database.stderr) as { error: { code: string; message: string } };
    expect(error.error.code).toBe('DATABASE_NOT_FOUND');
    expect(error.error.message).toContain("Run 'mp fetch events'");

    const account = await mp(['auth', 'test', 'ghost']);
    expect(account.code).toBe(EXIT_CODES.notFound);
    expect(account.stderr).toContain('mp auth add ghost');
  });

  it('5: rate limited, with the wait time', async () => {
    fake.inject({
      match: { family: 'export' },
      fault: { kind: 'rateLimit', variant: 'export', retryAfter: 3600 },
      times: 5,
    });
    const r = await mp(['fetch', 'events', '--from', day, '--to', day, '--stdout']);
    fake.reset();
    expect(r.code).toBe(EXIT_CODES.rateLimited);
    expect(r.stderr).toContain('[API_RATE_LIMITED]');
    expect(r.stderr).toMatch(/retry in (3[56]\d\d|3600) s/);
    expect(r.stdout).toBe('');
  });

  it('0 and 1: a query that works, one that fails', async () => {
    const ok = await mp(['query', 'sql', 'SELECT count(*) FROM events', '--path', db, '--scalar']);
    expect(ok.code).toBe(0);
    expect(Number(ok.stdout)).toBe(fake.expected.dedupedEventCount(day, day));
    const bad = await mp(['query', 'sql', 'SELECT nope FROM events', '--path', db]);
    expect(bad.code).toBe(EXIT_CODES.general);
    expect(bad.stderr).toContain('[QUERY_FAILED]');
  });
});

describe('secrets', () => {
  it('never appear in any output', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const text of outputs) expect(text).not.toContain(fake.serviceAccount.secret);
  });
});
