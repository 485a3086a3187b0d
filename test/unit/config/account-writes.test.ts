// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  addAccount,
  listAccounts,
  removeAccount,
  resolveCredentials,
  setDefaultAccount,
} from '../../../src/config/accounts.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { AccountNotFoundError, ConfigError, InvalidArgumentError } from '../../../src/errors.js';
import { tempHome, thrown } from './helpers.js';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('addAccount', () => {
  it('creates ~/.mp (0700) and config.toml (0600)', () => {
    const t = tempHome();
    const summary = addAccount(
      'prod',
      { username: 'svc.prod', secret: 'WrittenSecret-1', projectId: 1234, region: 'eu' },
      { homeDir: t.home, env: {} },
    );
    expect(summary).toEqual({
      name: 'prod',
      kind: 'serviceAccount',
      username: 'svc.prod',
      secret: '****',
      projectId: '1234',
      region: 'eu',
      apiBaseUrl: undefined,
      workspaceId: undefined,
      isDefault: false,
    });
    expect(mode(path.dirname(t.file))).toBe(0o700);
    expect(mode(t.file)).toBe(0o600);
    expect(parse(t.read())).toEqual({
      accounts: {
        prod: { username: 'svc.prod', secret: 'WrittenSecret-1', project_id: '1234', region: 'eu' },
      },
    });
    const creds = resolveCredentials({ homeDir: t.home, env: {} });
    expect(creds).toMatchObject({ accountName: 'prod', projectId: '1234', region: 'eu' });
    expect(creds.secret).toBe('WrittenSecret-1');
  });

  it('tightens an existing world-readable file to 0600 and leaves no temp files', () => {
    const t = tempHome();
    t.write('[database]\ndefault_backend = "sqlite"\n');
    fs.chmodSync(t.file, 0o644);
    addAccount('a', { projectSecret: 'ps' }, { homeDir: t.home, env: {} });
    expect(mode(t.file)).toBe(0o600);
    expect(fs.readdirSync(path.dirname(t.file))).toEqual(['config.toml']);
  });

  it('preserves every other section and account', () => {
    const t = tempHome();
    t.write(`
default_account = "old"

[database]
default_backend = "postgres"

[database.postgresql]
host = "db.internal"
password = "\${PG_PASSWORD}"
port = 6543

[accounts.old]
project_secret = "OldSecret"
`);
    addAccount('new', { username: 'u', secret: 'NewSecret', projectId: '9' }, { homeDir: t.home, env: {} });
    expect(parse(t.read())).toEqual({
      default_account: 'old',
      database: {
        default_backend: 'postgres',
        postgresql: { host: 'db.internal', password: '${PG_PASSWORD}', port: 6543 },
      },
      accounts: {
        old: { project_secret: 'OldSecret' },
        new: { username: 'u', secret: 'NewSecret', project_id: '9' },
      },
    });
    // The ${PG_PASSWORD} reference is kept unexpanded, so it still resolves from the environment.
    const config = loadConfig({ homeDir: t.home, env: { PG_PASSWORD: 'from-env' } });
    expect(config.database.postgresql.password).toBe('from-env');
    expect(config.database.postgresql.port).toBe(6543);
  });

  it('stores a secret containing ${ literally', () => {
    const t = tempHome();
    addAccount('a', { username: 'u', secret: 'x${HOME}y$${z', projectId: '1' }, { homeDir: t.home, env: {} });
    expect(resolveCredentials({ homeDir: t.home, env: { HOME: '/nope' } }).secret).toBe('x${HOME}y$${z');
  });

  it('refuses to overwrite unless replace is set, and can make the account the default', () => {
    const t = tempHome();
    const opts = { homeDir: t.home, env: {} };
    addAccount('a', { projectSecret: 'first' }, opts);
    const err = thrown(() => addAccount('a', { projectSecret: 'second' }, opts));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    addAccount(
      'a',
      { username: 'u', secret: 'third', projectId: '3' },
      { ...opts, replace: true, makeDefault: true },
    );
    const config = loadConfig(opts);
    expect(config.defaultAccount).toBe('a');
    expect(config.accounts.a?.kind).toBe('serviceAccount');
  });

  it('validates the name and fields before writing anything', () => {
    const t = tempHome();
    const opts = { homeDir: t.home, env: {} };
    for (const bad of ['', '-lead', 'has space', 'a/b', '../x', '__proto__']) {
      expect(() => addAccount(bad, { projectSecret: 'p' }, opts), bad).toThrow(InvalidArgumentError);
    }
    const missing = thrown(() =>
      addAccount('a', { username: 'u', secret: 'MySecret-55' }, opts),
    ) as ConfigError;
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing.details.key).toBe('accounts.a.project_id');
    expect(missing.message).not.toContain('MySecret-55');
    expect(() => addAccount('a', { projectSecret: 'p', apiBaseUrl: 'http://example.com' }, opts)).toThrow(
      /loopback/,
    );
    expect(fs.existsSync(t.file)).toBe(false);
  });

  it('normalises the base URL it stores and accepts dotted names', () => {
    const t = tempHome();
    addAccount(
      'fake.local',
      { username: 'u', secret: 's', projectId: '1', apiBaseUrl: 'http://127.0.0.1:4010/' },
      { homeDir: t.home, env: {} },
    );
    expect(t.read()).toContain('[accounts."fake.local"]');
    expect(parse(t.read())).toMatchObject({
      accounts: { 'fake.local': { api_base_url: 'http://127.0.0.1:4010' } },
    });
  });

  it('follows MP_CONFIG_PATH and creates its directory', () => {
    const t = tempHome();
    const custom = path.join(t.home, 'nested', 'dir', 'mp.toml');
    addAccount('a', { projectSecret: 'p' }, { homeDir: t.home, env: { MP_CONFIG_PATH: custom } });
    expect(fs.existsSync(custom)).toBe(true);
    expect(mode(custom)).toBe(0o600);
    expect(fs.existsSync(t.file)).toBe(false);
  });

  it('does not overwrite a file with a syntax error', () => {
    const t = tempHome();
    t.write('[database\n');
    expect(() => addAccount('a', { projectSecret: 'p' }, { homeDir: t.home, env: {} })).toThrow(/line 1/);
    expect(t.read()).toBe('[database\n');
  });
});

describe('removeAccount / setDefaultAccount / listAccounts', () => {
  const setup = () => {
    const t = tempHome();
    const opts = { homeDir: t.home, env: {} };
    t.write('[database.duckdb]\nthreads = 2\n');
    addAccount('a', { username: 'ua', secret: 'SecretA-111', projectId: '1' }, opts);
    addAccount('b', { projectSecret: 'SecretB-222', region: 'in' }, opts);
    return { t, opts };
  };

  it('sets the default account, and refuses unknown names', () => {
    const { t, opts } = setup();
    setDefaultAccount('b', opts);
    expect(parse(t.read()).default_account).toBe('b');
    expect(resolveCredentials(opts).accountName).toBe('b');
    expect(() => setDefaultAccount('zzz', opts)).toThrow(AccountNotFoundError);
    expect(mode(t.file)).toBe(0o600);
  });

  it('lists accounts with secrets masked', () => {
    const { opts } = setup();
    setDefaultAccount('a', opts);
    const list = listAccounts(opts);
    expect(list.map((a) => [a.name, a.kind, a.isDefault, a.region, a.secret])).toEqual([
      ['a', 'serviceAccount', true, 'us', '****'],
      ['b', 'projectSecret', false, 'in', '****'],
    ]);
    const text = JSON.stringify(list);
    expect(text).not.toContain('SecretA-111');
    expect(text).not.toContain('SecretB-222');
  });

  it('removes an account, clears default_account if it pointed there, keeps the rest', () => {
    const { t, opts } = setup();
    setDefaultAccount('a', opts);
    removeAccount('a', opts);
    expect(parse(t.read())).toEqual({
      database: { duckdb: { threads: 2 } },
      accounts: { b: { project_secret: 'SecretB-222', region: 'in' } },
    });
    removeAccount('b', opts);
    expect(parse(t.read())).toEqual({ database: { duckdb: { threads: 2 } } });
    expect(() => removeAccount('b', opts)).toThrow(AccountNotFoundError);
  });

  it('treats names like toString as ordinary missing accounts', () => {
    const { opts } = setup();
    expect(() => removeAccount('toString', opts)).toThrow(AccountNotFoundError);
    expect(() => resolveCredentials({ ...opts, account: 'constructor' })).toThrow(AccountNotFoundError);
  });
});
