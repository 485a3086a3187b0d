// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references.
import { describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  envVarForKey,
  findConfigKey,
  parseConfigValue,
} from '../../../src/config/config-keys.js';

describe('CONFIG_KEYS', () => {
  it('every descriptor follows the env var naming rule', () => {
    for (const d of CONFIG_KEYS) expect(d.env, d.key).toBe(envVarForKey(d.key));
    expect(findConfigKey('database.duckdb.memory_limit')?.env).toBe('MP_DUCKDB_MEMORY_LIMIT');
    expect(findConfigKey('database.postgresql.password')?.env).toBe('MP_PG_PASSWORD');
    expect(findConfigKey('database.postgresql.url')?.env).toBe('MP_PG_URL');
    expect(findConfigKey('database.sqlite.journal_mode')?.env).toBe('MP_SQLITE_JOURNAL_MODE');
    expect(findConfigKey('database.default_backend')?.env).toBe('MP_BACKEND');
  });

  it('marks exactly the password and url as secret', () => {
    expect(CONFIG_KEYS.filter((d) => d.secret).map((d) => d.key)).toEqual([
      'database.postgresql.url',
      'database.postgresql.password',
    ]);
  });

  it('has unique keys and env vars, and defaults that pass their own validation', () => {
    expect(new Set(CONFIG_KEYS.map((d) => d.key)).size).toBe(CONFIG_KEYS.length);
    expect(new Set(CONFIG_KEYS.map((d) => d.env)).size).toBe(CONFIG_KEYS.length);
    for (const d of CONFIG_KEYS) {
      if (d.default === undefined) continue;
      expect(parseConfigValue(d, d.default), d.key).toEqual({ ok: true, value: d.default });
    }
  });

  it('names the applying component', () => {
    expect(findConfigKey('database.default_backend')?.appliedBy).toBe('engine');
    expect(findConfigKey('database.duckdb.threads')?.appliedBy).toBe('duckdb backend');
    expect(findConfigKey('database.sqlite.mmap_size')?.appliedBy).toBe('sqlite backend');
    expect(findConfigKey('database.postgresql.pool_size')?.appliedBy).toBe('postgres backend');
  });
});

describe('parseConfigValue', () => {
  const d = (key: string) => findConfigKey(key)!;

  it('coerces strings from env and ${VAR} expansion', () => {
    expect(parseConfigValue(d('database.postgresql.port'), '6543')).toEqual({ ok: true, value: 6543 });
    expect(parseConfigValue(d('database.sqlite.cache_size'), '-2000')).toEqual({ ok: true, value: -2000 });
    expect(parseConfigValue(d('database.sqlite.journal_mode'), 'WAL')).toEqual({ ok: true, value: 'wal' });
    expect(parseConfigValue(d('database.default_backend'), 'postgresql')).toEqual({
      ok: true,
      value: 'postgres',
    });
    expect(parseConfigValue(d('database.duckdb.memory_limit'), ' 4GB ')).toEqual({ ok: true, value: '4GB' });
    expect(parseConfigValue(d('database.duckdb.memory_limit'), '1.5GiB')).toEqual({
      ok: true,
      value: '1.5GiB',
    });
  });

  it('treats an empty string as unset', () => {
    expect(parseConfigValue(d('database.postgresql.user'), '')).toEqual({ ok: true, value: undefined });
  });

  it('rejects out-of-range and mistyped values with the expectation', () => {
    expect(parseConfigValue(d('database.postgresql.port'), 70000)).toEqual({
      ok: false,
      problem: 'expected an integer from 1 to 65535',
    });
    expect(parseConfigValue(d('database.duckdb.threads'), 0)).toEqual({
      ok: false,
      problem: 'expected an integer >= 1',
    });
    expect(parseConfigValue(d('database.duckdb.threads'), 2.5).ok).toBe(false);
    expect(parseConfigValue(d('database.duckdb.threads'), true).ok).toBe(false);
    expect(parseConfigValue(d('database.duckdb.memory_limit'), '4 gigs').ok).toBe(false);
    expect(parseConfigValue(d('database.duckdb.memory_limit'), 4).ok).toBe(false);
    expect(parseConfigValue(d('database.sqlite.synchronous'), 'sometimes')).toEqual({
      ok: false,
      problem: 'expected one of off, normal, full, extra',
    });
    expect(parseConfigValue(d('database.postgresql.url'), 'mysql://x').ok).toBe(false);
  });
});
