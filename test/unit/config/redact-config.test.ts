import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { MASK, redact, redactedEntries, redactPostgresUrl } from '../../../src/config/redact-config.js';
import { tempHome } from './helpers.js';

describe('redact', () => {
  it('shows non-secrets as strings and keeps unset as undefined', () => {
    expect(redact(4, false)).toBe('4');
    expect(redact('wal', false)).toBe('wal');
    expect(redact(undefined, true)).toBeUndefined();
  });

  it('masks secrets completely, whatever their length', () => {
    expect(redact('a', true)).toBe(MASK);
    expect(redact('a-very-long-secret-value', true)).toBe('****');
  });

  it('masks only the password of a postgres URL', () => {
    expect(redact('postgres://bob:p%40ss@db.internal:5433/mp?sslmode=require', true)).toBe(
      'postgres://bob:****@db.internal:5433/mp?sslmode=require',
    );
    expect(redactPostgresUrl('postgresql://bob@db/mp')).toBe('postgresql://bob@db/mp');
    expect(redactPostgresUrl('postgres://db/mp?user=bob&password=QueryPw1')).toBe(
      'postgres://db/mp?user=bob&password=****',
    );
    expect(redactPostgresUrl('postgres://bob:x@h:99999/db')).toBe(MASK);
  });
});

describe('redactedEntries', () => {
  it('gives every key for mp config show with secrets masked', () => {
    const t = tempHome();
    t.write('[database.postgresql]\nurl = "postgres://bob:UrlPw-9@db/x"\n');
    const rows = redactedEntries(loadConfig({ homeDir: t.home, env: { MP_PG_PASSWORD: 'EnvPw-8' } }));
    expect(rows).toHaveLength(21);
    expect(rows.find((r) => r.key === 'database.postgresql.url')).toEqual({
      key: 'database.postgresql.url',
      value: 'postgres://bob:****@db/x',
      source: 'file',
      secret: true,
      appliedBy: 'postgres backend',
      env: 'MP_PG_URL',
    });
    expect(rows.find((r) => r.key === 'database.postgresql.password')).toMatchObject({
      value: '****',
      source: 'env',
    });
    expect(rows.find((r) => r.key === 'database.sqlite.mmap_size')).toMatchObject({
      value: 268435456,
      source: 'default',
    });
    const text = JSON.stringify(rows);
    expect(text).not.toContain('UrlPw-9');
    expect(text).not.toContain('EnvPw-8');
  });
});
