/** `mp auth`, `mp config show` and `mp doctor` called as functions, in a temp home. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  authAdd,
  authList,
  authRemove,
  authShow,
  authSwitch,
  authTest,
} from '../../src/cli/commands/auth.js';
import { configShow } from '../../src/cli/commands/config.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { fetchEvents } from '../../src/cli/commands/fetch.js';
import { CliExit } from '../../src/cli/exit-codes.js';
import {
  AccountNotFoundError,
  AuthenticationError,
  ConfigError,
  InvalidArgumentError,
} from '../../src/index.js';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import { memoryIo, type TempHome, tempHome } from './support/cli-harness.js';

let fake: FakeMixpanel;
let home: TempHome;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  fake = await startFakeMixpanel({ seed: 9, days: 2, eventsPerDay: 100, users: 30, rateLimits: 'off' });
});
afterAll(() => fake.close());
beforeEach(() => {
  home?.remove();
  home = tempHome();
  env = home.env;
});
afterAll(() => home?.remove());

const secret = () => fake.serviceAccount.secret;

/** Adds the fake's service account as `name`, the secret piped on stdin. */
async function addFake(name: string, extra: Partial<Parameters<typeof authAdd>[0]> = {}) {
  const m = memoryIo({ env, stdin: `${secret()}\n` });
  await authAdd(
    {
      name,
      username: fake.serviceAccount.username,
      projectId: fake.projectId,
      apiBaseUrl: fake.url,
      ...extra,
    },
    m.io,
  );
  return m;
}

function everything(m: { stdout(): string; stderr(): string }): string {
  return m.stdout() + m.stderr();
}

describe('mp auth', () => {
  it('add reads the secret from stdin, writes it to a 0600 file, and never prints it', async () => {
    const m = await addFake('fake', { default: true, format: 'json' });
    expect(JSON.parse(m.stdout())).toMatchObject({
      name: 'fake',
      secret: '****',
      isDefault: true,
      projectId: fake.projectId,
    });
    expect(everything(m)).not.toContain(secret());
    const file = String(env.MP_CONFIG_PATH);
    expect(readFileSync(file, 'utf8')).toContain(secret());
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('add takes the secret from MP_SECRET, or from a prompt that does not echo', async () => {
    const fromEnv = memoryIo({ env: { ...env, MP_SECRET: 'env-secret-value' } });
    await authAdd({ name: 'a', username: 'u', projectId: '1' }, fromEnv.io);
    expect(everything(fromEnv)).not.toContain('env-secret-value');

    const tty = new PassThrough();
    const prompted = memoryIo({ env, ttyStdin: tty });
    const adding = authAdd({ name: 'b', username: 'u', projectId: '2' }, prompted.io);
    setTimeout(() => tty.write('typed-secret\r'), 20);
    await adding;
    expect(prompted.stderr()).toContain('Secret (not shown): ');
    expect(everything(prompted)).not.toContain('typed-secret');
    expect(readFileSync(String(env.MP_CONFIG_PATH), 'utf8')).toContain('typed-secret');

    const none = memoryIo({ env });
    await expect(authAdd({ name: 'c', username: 'u', projectId: '3' }, none.io)).rejects.toThrow(
      /No secret given/,
    );
    await expect(authAdd({ name: 'd', projectId: '3' }, none.io)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('list, switch, show, remove', async () => {
    await addFake('one');
    await addFake('two');
    const list = memoryIo({ env });
    await authList({ format: 'json' }, list.io);
    const accounts = JSON.parse(list.stdout()) as { name: string; secret: string; isDefault: boolean }[];
    expect(accounts.map((a) => [a.name, a.secret, a.isDefault])).toEqual([
      ['one', '****', false],
      ['two', '****', false],
    ]);

    await authSwitch({ name: 'two' }, memoryIo({ env }).io);
    const show = memoryIo({ env });
    await authShow({ format: 'json' }, show.io);
    expect(JSON.parse(show.stdout())).toMatchObject({ accountName: 'two', secret: '****', source: 'config' });

    const one = memoryIo({ env });
    await authShow({ name: 'one', format: 'plain' }, one.io);
    expect(one.stdout()).toContain('name\tone\n');
    expect(everything(show) + everything(one)).not.toContain(secret());

    await authRemove({ name: 'one' }, memoryIo({ env }).io);
    await expect(authShow({ name: 'one' }, memoryIo({ env }).io)).rejects.toBeInstanceOf(
      AccountNotFoundError,
    );
    await expect(authRemove({ name: 'one' }, memoryIo({ env }).io)).rejects.toBeInstanceOf(
      AccountNotFoundError,
    );
  });

  it('test: accepted credentials pass, a wrong secret is an authentication error', async () => {
    await addFake('good');
    const ok = memoryIo({ env });
    await authTest({ name: 'good', format: 'json' }, ok.io);
    expect(JSON.parse(ok.stdout())).toMatchObject({
      status: 'ok',
      account: 'good',
      projectId: fake.projectId,
    });

    const bad = memoryIo({ env, stdin: 'wrong-secret' });
    await authAdd(
      {
        name: 'bad',
        username: fake.serviceAccount.username,
        projectId: fake.projectId,
        apiBaseUrl: fake.url,
      },
      bad.io,
    );
    await expect(authTest({ name: 'bad' }, memoryIo({ env }).io)).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('mp config show', () => {
  it('lists every key with its source; secrets masked', async () => {
    writeFileSync(
      String(env.MP_CONFIG_PATH),
      '[database.postgresql]\npassword = "pg-file-password"\n[database.duckdb]\nthreads = 2\n',
    );
    const m = memoryIo({ env: { ...env, MP_DUCKDB_MEMORY_LIMIT: '512MB' } });
    await configShow({ format: 'json' }, m.io);
    const rows = JSON.parse(m.stdout()) as { key: string; value: unknown; source: string }[];
    const byKey = new Map(rows.map((r) => [r.key, r]));
    expect(byKey.get('database.duckdb.threads')).toMatchObject({ value: 2, source: 'file' });
    expect(byKey.get('database.duckdb.memory_limit')).toMatchObject({ value: '512MB', source: 'env' });
    expect(byKey.get('database.postgresql.password')).toMatchObject({ value: '****', source: 'file' });
    expect(byKey.get('database.default_backend')).toMatchObject({ value: 'duckdb', source: 'default' });
    expect(everything(m)).not.toContain('pg-file-password');
  });

  it('--effective reads the values back from the engine', async () => {
    const m = memoryIo({ env: { ...env, MP_DUCKDB_THREADS: '3' } });
    await configShow({ effective: true, path: join(home.dir, 'none.db'), format: 'json' }, m.io);
    const rows = JSON.parse(m.stdout()) as { key: string; source: string; effective: unknown }[];
    expect(rows.find((r) => r.key === 'database.duckdb.threads')).toMatchObject({
      source: 'env',
      effective: '3',
    });
    expect(m.stderr()).toContain('a temporary database');
  });

  it('an invalid file is a config error naming the key', async () => {
    writeFileSync(String(env.MP_CONFIG_PATH), '[database.duckdb]\nthreds = 2\n');
    await expect(configShow({}, memoryIo({ env }).io)).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('mp doctor', () => {
  it('passes against the fake, reading settings back from the database', async () => {
    const fakeEnv = home.envWith(fake);
    const db = join(home.dir, 'doctor.db');
    const day = fake.expected.days()[0]!;
    await fetchEvents({ from: day, to: day, path: db, quiet: true }, memoryIo({ env: fakeEnv }).io);
    const m = memoryIo({ env: fakeEnv });
    await doctor({ path: db, format: 'json' }, m.io);
    const checks = JSON.parse(m.stdout()) as { check: string; status: string; detail: string }[];
    const status = Object.fromEntries(checks.map((c) => [c.check, c.status]));
    expect(status).toMatchObject({ config: 'ok', credentials: 'ok', database: 'ok', mixpanel: 'ok' });
    expect(checks.some((c) => c.check.startsWith('setting database.duckdb.'))).toBe(true);
    expect(m.stderr()).toMatch(/^All checks passed/);
    expect(everything(m)).not.toContain(secret());
  });

  it('lists problems with fixes and fails on a rejected secret', async () => {
    const m = memoryIo({ env: home.envWith(fake, { MP_SECRET: 'not-the-secret' }) });
    await expect(doctor({ format: 'json' }, m.io)).rejects.toBeInstanceOf(CliExit);
    const checks = JSON.parse(m.stdout()) as { check: string; status: string; fix: string }[];
    const mixpanel = checks.find((c) => c.check === 'mixpanel');
    expect(mixpanel?.status).toBe('fail');
    expect(mixpanel?.fix).toMatch(/mp auth add/);
    expect(checks.find((c) => c.check === 'database')?.status).toBe('warn');
    expect(everything(m)).not.toContain('not-the-secret');
  });

  it('the table layout shows each check with its fix beneath', async () => {
    const m = memoryIo({ env: home.envWith(fake, { MP_SECRET: 'not-the-secret' }) });
    await expect(doctor({}, m.io)).rejects.toBeInstanceOf(CliExit);
    const lines = m.stdout().split('\n');
    const failed = lines.findIndex((l) => /^FAIL {2}mixpanel /.test(l));
    expect(failed).toBeGreaterThan(0);
    expect(lines[failed + 1]).toMatch(/^\s+fix: .*mp auth add NAME --replace/);
    expect(lines.some((l) => /^ok {4}config /.test(l))).toBe(true);
    expect(m.stderr()).toMatch(/1 problem found/);
  });

  it('with no credentials at all, says how to add them', async () => {
    const m = memoryIo({ env });
    await expect(doctor({ format: 'json' }, m.io)).rejects.toBeInstanceOf(CliExit);
    const checks = JSON.parse(m.stdout()) as { check: string; status: string; fix: string }[];
    expect(checks.find((c) => c.check === 'credentials')).toMatchObject({ status: 'fail' });
    expect(checks.find((c) => c.check === 'credentials')?.fix).toMatch(/mp auth add/);
  });
});
