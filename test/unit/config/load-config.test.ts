// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references.
import * as path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError, InvalidArgumentError, MixpanelDataError } from '../../../src/errors.js';
import { tempHome, thrown } from './helpers.js';

describe('loadConfig: files and defaults', () => {
  it('uses every default when the file is missing', () => {
    const t = tempHome();
    const config = loadConfig({ homeDir: t.home, env: {} });
    expect(config.fileExists).toBe(false);
    expect(config.path).toBe(t.file);
    expect(config.database.defaultBackend).toBe('duckdb');
    expect(config.database.duckdb).toEqual({ bulkMemoryLimit: '256MB' });
    expect(config.database.sqlite).toEqual({
      journalMode: 'wal',
      synchronous: 'normal',
      cacheSize: -64000,
      tempStore: 'memory',
      mmapSize: 268435456,
    });
    expect(config.database.postgresql).toMatchObject({
      host: '127.0.0.1',
      port: 5432,
      user: undefined,
      database: 'mixpanel',
      schema: 'public',
      sslmode: 'prefer',
      poolSize: 4,
      statementTimeout: 0,
    });
    expect(config.database.postgresql.password).toBeUndefined();
    expect(config.get('database.sqlite.journal_mode')).toMatchObject({ value: 'wal', source: 'default' });
    expect(config.get('database.duckdb.threads')).toMatchObject({ value: undefined, source: 'default' });
    expect(Object.keys(config.accounts)).toEqual([]);
    expect(config.defaultAccount).toBeUndefined();
  });

  it('reads MP_CONFIG_PATH, and an explicit configPath beats it', () => {
    const t = tempHome();
    const other = path.join(t.home, 'elsewhere.toml');
    t.write('[database]\ndefault_backend = "sqlite"\n');
    const viaEnv = loadConfig({ homeDir: t.home, env: { MP_CONFIG_PATH: t.file } });
    expect(viaEnv.path).toBe(t.file);
    expect(viaEnv.database.defaultBackend).toBe('sqlite');
    const explicit = loadConfig({ homeDir: t.home, env: { MP_CONFIG_PATH: t.file }, configPath: other });
    expect(explicit.path).toBe(other);
    expect(explicit.database.defaultBackend).toBe('duckdb');
  });

  it('returns frozen objects', () => {
    const t = tempHome();
    const config = loadConfig({ homeDir: t.home, env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(Object.isFrozen(config.database.sqlite)).toBe(true);
    expect(Object.isFrozen(config.accounts)).toBe(true);
    expect(Object.isFrozen(config.get('database.sqlite.cache_size'))).toBe(true);
  });

  it('reads typed values from every section', () => {
    const t = tempHome();
    t.write(`
[database]
default_backend = "postgres"

[database.duckdb]
memory_limit = "4GB"
threads = 4
temp_directory = "/tmp/duck"

[database.sqlite]
journal_mode = "DELETE"
synchronous = "full"
cache_size = -2000
temp_store = "file"
mmap_size = 0

[database.postgresql]
host = "db.internal"
port = 6543
user = "mp"
password = "pw"
database = "analytics"
schema = "mixpanel"
sslmode = "verify-full"
pool_size = 10
statement_timeout = 30000
`);
    const config = loadConfig({ homeDir: t.home, env: {} });
    expect(config.database.defaultBackend).toBe('postgres');
    expect(config.database.duckdb).toEqual({
      memoryLimit: '4GB',
      bulkMemoryLimit: '256MB',
      threads: 4,
      tempDirectory: '/tmp/duck',
    });
    expect(config.database.sqlite).toEqual({
      journalMode: 'delete',
      synchronous: 'full',
      cacheSize: -2000,
      tempStore: 'file',
      mmapSize: 0,
    });
    expect(config.database.postgresql).toMatchObject({
      host: 'db.internal',
      port: 6543,
      user: 'mp',
      database: 'analytics',
      schema: 'mixpanel',
      sslmode: 'verify-full',
      poolSize: 10,
      statementTimeout: 30000,
    });
    expect(config.database.postgresql.password).toBe('pw');
    expect(config.get('database.duckdb.threads')).toMatchObject({ value: 4, source: 'file' });
  });
});

describe('loadConfig: precedence', () => {
  it('option > env > file > default, with the matching source', () => {
    const t = tempHome();
    t.write(`
[database.duckdb]
threads = 2
memory_limit = "1GB"
temp_directory = "/file/tmp"
`);
    const config = loadConfig({
      homeDir: t.home,
      env: { MP_DUCKDB_THREADS: '3', MP_DUCKDB_MEMORY_LIMIT: '2GB' },
      overrides: { 'database.duckdb.threads': 8, 'database.sqlite.cache_size': undefined },
    });
    expect(config.get('database.duckdb.threads')).toMatchObject({ value: 8, source: 'option' });
    expect(config.get('database.duckdb.memory_limit')).toMatchObject({ value: '2GB', source: 'env' });
    expect(config.get('database.duckdb.temp_directory')).toMatchObject({
      value: '/file/tmp',
      source: 'file',
    });
    expect(config.get('database.sqlite.cache_size')).toMatchObject({ value: -64000, source: 'default' });
    expect(config.database.duckdb).toEqual({
      threads: 8,
      memoryLimit: '2GB',
      bulkMemoryLimit: '256MB',
      tempDirectory: '/file/tmp',
    });
  });

  it('coerces env strings and option strings like CLI flags', () => {
    const t = tempHome();
    const config = loadConfig({
      homeDir: t.home,
      env: { MP_BACKEND: 'SQLite', MP_PG_PORT: '6000' },
      overrides: { 'database.postgresql.pool_size': '12' },
    });
    expect(config.database.defaultBackend).toBe('sqlite');
    expect(config.get('database.default_backend').source).toBe('env');
    expect(config.database.postgresql.port).toBe(6000);
    expect(config.database.postgresql.poolSize).toBe(12);
  });

  it('treats empty env vars as unset', () => {
    const t = tempHome();
    t.write('[database]\ndefault_backend = "sqlite"\n');
    const config = loadConfig({ homeDir: t.home, env: { MP_BACKEND: '' } });
    expect(config.get('database.default_backend')).toMatchObject({ value: 'sqlite', source: 'file' });
  });

  it('entries() lists every key with value, source, secret flag and appliedBy', () => {
    const t = tempHome();
    const config = loadConfig({ homeDir: t.home, env: { MP_PG_PASSWORD: 'hunter2-secret' } });
    const entries = config.entries();
    expect(entries).toHaveLength(21);
    const pw = entries.find((e) => e.key === 'database.postgresql.password')!;
    expect(pw.value).toBe('hunter2-secret');
    expect(pw).toMatchObject({
      source: 'env',
      secret: true,
      appliedBy: 'postgres backend',
      env: 'MP_PG_PASSWORD',
    });
    expect(entries.find((e) => e.key === 'database.default_backend')).toMatchObject({
      value: 'duckdb',
      source: 'default',
      secret: false,
      appliedBy: 'engine',
    });
  });

  it('rejects unknown override keys', () => {
    const t = tempHome();
    const err = thrown(() =>
      loadConfig({ homeDir: t.home, env: {}, overrides: { 'database.duckdb.thread': 1 } }),
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).details.key).toBe('database.duckdb.thread');
  });

  it('get() of an unknown key is an InvalidArgumentError', () => {
    const t = tempHome();
    const config = loadConfig({ homeDir: t.home, env: {} });
    // @ts-expect-error: deliberately not a ConfigKey
    expect(() => config.get('database.nope')).toThrow(InvalidArgumentError);
  });
});

describe('loadConfig: ${VAR} expansion', () => {
  it('expands ${VAR} and ${VAR:-default}', () => {
    const t = tempHome();
    t.write(`
[database.postgresql]
host = "\${PG_HOST:-localhost}"
port = "\${PG_PORT:-5433}"
user = "\${PG_USER}"
database = "mp_\${ENVIRONMENT}"
`);
    const config = loadConfig({
      homeDir: t.home,
      env: { PG_USER: 'alice', ENVIRONMENT: 'prod', PG_HOST: '' },
    });
    expect(config.database.postgresql).toMatchObject({
      host: 'localhost',
      port: 5433,
      user: 'alice',
      database: 'mp_prod',
    });
    expect(config.get('database.postgresql.port').source).toBe('file');
  });

  it('uses the variable when set, not the default', () => {
    const t = tempHome();
    t.write('[database.duckdb]\nmemory_limit = "${MEM:-1GB}"\n');
    const config = loadConfig({ homeDir: t.home, env: { MEM: '8GB' } });
    expect(config.database.duckdb.memoryLimit).toBe('8GB');
  });

  it('an unset ${VAR} without default names the key and the variable', () => {
    const t = tempHome();
    t.write('[database.postgresql]\npassword = "${PG_PASSWORD}"\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('database.postgresql.password');
    expect(err.message).toContain('PG_PASSWORD');
    expect(err.details).toMatchObject({ key: 'database.postgresql.password', variable: 'PG_PASSWORD' });
  });

  it('$${ is a literal ${', () => {
    const t = tempHome();
    t.write('[database.postgresql]\npassword = "a$${b}c"\n');
    const config = loadConfig({ homeDir: t.home, env: {} });
    expect(config.database.postgresql.password).toBe('a${b}c');
  });

  it('rejects a malformed reference', () => {
    const t = tempHome();
    t.write('[database.postgresql]\nhost = "${not closed"\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err.details.key).toBe('database.postgresql.host');
    expect(err.message).toContain('malformed variable reference');
  });
});

describe('loadConfig: validation errors', () => {
  it('rejects a typo in a key, naming it and suggesting the right one', () => {
    const t = tempHome();
    t.write('[database.duckdb]\nmemory_limt = "4GB"\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(MixpanelDataError);
    expect(err.details.key).toBe('database.duckdb.memory_limt');
    expect(err.message).toContain("Unknown config key 'database.duckdb.memory_limt'");
    expect(err.message).toContain("Did you mean 'database.duckdb.memory_limit'?");
    expect(err.message).toContain(t.file);
  });

  it('rejects unknown sections and top-level keys', () => {
    const t = tempHome();
    t.write('[database.postgres]\nhost = "x"\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err.details.key).toBe('database.postgres');
    expect(err.message).toContain("Did you mean 'database.postgresql'?");

    t.write('verbose = true\n');
    const top = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(top.details.key).toBe('verbose');
    expect(top.message).toContain('Allowed at the top level: database, accounts, default_account');
  });

  it('rejects a wrong type, naming the key and the expectation', () => {
    const t = tempHome();
    t.write('[database.duckdb]\nthreads = "many"\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.details.key).toBe('database.duckdb.threads');
    expect(err.message).toBe(
      `Invalid value for database.duckdb.threads in ${t.file}: expected an integer >= 1, got 'many'`,
    );
  });

  it('rejects out-of-range values and bad enum values', () => {
    const t = tempHome();
    t.write('[database.postgresql]\nport = 70000\n');
    const port = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(port.details.key).toBe('database.postgresql.port');
    expect(port.message).toContain('expected an integer from 1 to 65535, got 70000');

    t.write('[database]\ndefault_backend = "mysql"\n');
    const backend = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(backend.message).toContain('expected one of duckdb, sqlite, postgres');
  });

  it('reports a bad env value with the variable name', () => {
    const t = tempHome();
    const err = thrown(() => loadConfig({ homeDir: t.home, env: { MP_PG_POOL_SIZE: '500' } })) as ConfigError;
    expect(err.details).toMatchObject({ key: 'database.postgresql.pool_size', source: 'env' });
    expect(err.message).toContain('MP_PG_POOL_SIZE');
    expect(err.message).toContain('expected an integer from 1 to 100');
  });

  it('rejects a bad file value even when env masks it', () => {
    const t = tempHome();
    t.write('[database.duckdb]\nthreads = -1\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: { MP_DUCKDB_THREADS: '4' } })) as ConfigError;
    expect(err.details).toMatchObject({ key: 'database.duckdb.threads', source: 'file' });
  });

  it('rejects a section that is not a table', () => {
    const t = tempHome();
    t.write('[database]\nduckdb = 3\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err.details.key).toBe('database.duckdb');
    expect(err.message).toContain('expected a table');
  });

  it('a TOML syntax error names the file and line', () => {
    const t = tempHome();
    t.write('[database]\ndefault_backend = "duckdb"\n\n[database.duckdb\nthreads = 2\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(t.file);
    expect(err.message).toContain('line 4');
    expect(err.details).toMatchObject({ path: t.file, line: 4 });
  });

  it('a syntax error does not echo the offending line (it may hold a secret)', () => {
    const t = tempHome();
    t.write('[database.postgresql]\npassword = "s3cr3t-value\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err.message).toContain('line 2');
    expect(err.message).not.toContain('s3cr3t-value');
  });

  it('never echoes a secret value in a validation error', () => {
    const t = tempHome();
    t.write('[database.postgresql]\nurl = "mysql://root:TopSecret99@db/x"\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err.details.key).toBe('database.postgresql.url');
    expect(err.message).not.toContain('TopSecret99');
    expect(JSON.stringify(err)).not.toContain('TopSecret99');
  });
});

describe('loadConfig: postgresql.url', () => {
  it('supplies host, port, user, password, database and sslmode', () => {
    const t = tempHome();
    t.write('[database.postgresql]\nurl = "postgres://bob:p%40ss@db.example:6000/events?sslmode=require"\n');
    const pg = loadConfig({ homeDir: t.home, env: {} }).database.postgresql;
    expect(pg).toMatchObject({
      host: 'db.example',
      port: 6000,
      user: 'bob',
      database: 'events',
      sslmode: 'require',
      schema: 'public',
    });
    expect(pg.password).toBe('p@ss');
  });

  it('lets a higher-precedence individual key beat the URL, and the URL beat lower ones', () => {
    const t = tempHome();
    t.write(`
[database.postgresql]
url = "postgresql://bob:filepw@db.example/events"
user = "ignored"
`);
    const pg = loadConfig({ homeDir: t.home, env: { MP_PG_PASSWORD: 'envpw' } }).database.postgresql;
    expect(pg.user).toBe('bob');
    expect(pg.password).toBe('envpw');
    expect(pg.port).toBe(5432);
  });

  it('rejects an unparsable URL without echoing it', () => {
    const t = tempHome();
    const err = thrown(() =>
      loadConfig({ homeDir: t.home, env: { MP_PG_URL: 'postgres://u:Hidden123@h:99999/db' } }),
    ) as ConfigError;
    expect(err.details.key).toBe('database.postgresql.url');
    expect(err.message).not.toContain('Hidden123');
  });

  it('keeps the password out of JSON.stringify and util.inspect', () => {
    const t = tempHome();
    t.write('[database.postgresql]\nurl = "postgres://bob:UrlSecret1@db/x"\npassword = "Plain2Secret"\n');
    const config = loadConfig({ homeDir: t.home, env: {}, overrides: { 'database.postgresql.user': 'x' } });
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      JSON.stringify(config.entries()),
      inspect(config.entries(), { depth: 10 }),
      JSON.stringify(config.database.postgresql),
      inspect(config.database.postgresql),
    ]) {
      expect(text).not.toContain('UrlSecret1');
      expect(text).not.toContain('Plain2Secret');
    }
    expect(JSON.stringify(config)).toContain('postgres://bob:****@db/x');
  });
});
