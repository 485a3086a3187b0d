/** Pure pieces of the PostgreSQL backend: no server needed. */
import { describe, expect, it } from 'vitest';
import { describeLocation, resolvePostgresConfig } from '../../src/backends/postgres/postgres-config.js';
import { postgresDialect, postgresTypeLabel } from '../../src/backends/postgres/postgres-dialect.js';
import { mapPostgresError, statementKeyword } from '../../src/backends/postgres/postgres-errors.js';
import { escapeCopyText } from '../../src/backends/postgres/postgres-table-writer.js';
import {
  formatDateUtc,
  formatTimestampUtc,
  parseInt8,
  parseNumeric,
  parseTimestamp,
  toPostgresParam,
} from '../../src/backends/postgres/postgres-values.js';
import { ConfigError, DatabaseLockedError, type QueryError, ReadOnlyError } from '../../src/errors.js';

describe('postgres values', () => {
  it('parses int8 by the value rule', () => {
    expect(parseInt8('42')).toBe(42);
    expect(parseInt8('-999999999999999')).toBe(-999999999999999);
    expect(parseInt8('9007199254740991')).toBe(9007199254740991);
    expect(parseInt8('9007199254740992')).toBe(9007199254740992n);
    expect(parseInt8('3928097563762691601')).toBe(3928097563762691601n);
    expect(parseInt8('-9223372036854775808')).toBe(-9223372036854775808n);
  });

  it('parses numeric to a number only when no digit changes', () => {
    expect(parseNumeric('1.50')).toBe(1.5);
    expect(parseNumeric('-0.000')).toBe(-0);
    expect(parseNumeric('000123.4500')).toBe(123.45);
    expect(parseNumeric('12345678901234567.89')).toBe('12345678901234567.89');
    expect(parseNumeric('0.00000001')).toBe('0.00000001');
    expect(parseNumeric('NaN')).toBeNaN();
    expect(parseNumeric('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
  });

  it('parses timestamps as UTC, with offsets, BC years and big years', () => {
    expect(parseTimestamp('2024-03-10 10:30:15.123456')).toEqual(
      new Date(Date.UTC(2024, 2, 10, 10, 30, 15, 123)),
    );
    expect(parseTimestamp('2024-03-10 10:30:15+05:30')).toEqual(new Date(Date.UTC(2024, 2, 10, 5, 0, 15)));
    expect(parseTimestamp('2024-03-10 10:30:15-03')).toEqual(new Date(Date.UTC(2024, 2, 10, 13, 30, 15)));
    const bc = parseTimestamp('0044-03-15 12:00:00 BC') as Date;
    expect(bc.getUTCFullYear()).toBe(-43);
    const early = parseTimestamp('0099-01-01 00:00:00') as Date;
    expect(early.getUTCFullYear()).toBe(99);
    expect((parseTimestamp('12345-06-07 00:00:00') as Date).getUTCFullYear()).toBe(12345);
    expect(parseTimestamp('infinity')).toBe('infinity');
  });

  it('formats Dates as UTC text PostgreSQL reads back identically', () => {
    const d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    expect(formatTimestampUtc(d)).toBe('2024-01-02T03:04:05.006Z');
    const bc = new Date(0);
    bc.setUTCFullYear(-43, 2, 15);
    expect(formatTimestampUtc(bc)).toBe('0044-03-15 00:00:00.000 BC');
    expect(parseTimestamp(formatTimestampUtc(bc).replace('.000', ''))).toEqual(bc);
    expect(formatDateUtc(d)).toBe('2024-01-02');
    expect(formatDateUtc(bc)).toBe('0044-03-15 BC');
    expect(() => formatTimestampUtc(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('prepares parameters losslessly', () => {
    expect(toPostgresParam(2n ** 63n - 1n)).toBe('9223372036854775807');
    expect(toPostgresParam(new Date(Date.UTC(2024, 0, 1)))).toBe('2024-01-01T00:00:00.000Z');
    expect(toPostgresParam(undefined)).toBeNull();
    expect(toPostgresParam([1n, null, new Date(0)])).toEqual(['1', null, '1970-01-01T00:00:00.000Z']);
  });

  it('escapes COPY text: backslash, tab, newline, carriage return only', () => {
    expect(escapeCopyText('plain 🎉 \u2028')).toBe('plain 🎉 \u2028');
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(escapeCopyText('\\N')).toBe('\\\\N');
    // Each special character alone is found (the check is one search per character).
    expect(['x\\', 'x\t', 'x\n', 'x\r'].map(escapeCopyText)).toEqual(['x\\\\', 'x\\t', 'x\\n', 'x\\r']);
  });
});

describe('postgres dialect', () => {
  it('quotes, binds and names types', () => {
    expect(postgresDialect.quoteIdentifier('we"ird name')).toBe('"we""ird name"');
    expect(postgresDialect.placeholder(3)).toBe('$3');
    expect(postgresDialect.typeName('float64')).toBe('DOUBLE PRECISION');
    expect(postgresDialect.typeName('json')).toBe('JSONB');
    expect(postgresDialect.nullSafeEquals('a', 'b')).toBe('(a IS NOT DISTINCT FROM b)');
    expect(postgresDialect.jsonExtractText('"props"', '$1')).toBe('("props" ->> $1::text)');
  });

  it('labels format_type output like the dialect spells types', () => {
    expect(postgresTypeLabel('timestamp without time zone')).toBe('TIMESTAMP');
    expect(postgresTypeLabel('timestamp(3) with time zone')).toBe('TIMESTAMPTZ(3)');
    expect(postgresTypeLabel('character varying(20)')).toBe('VARCHAR(20)');
    expect(postgresTypeLabel('bigint[]')).toBe('BIGINT[]');
    expect(postgresTypeLabel('numeric(10,2)')).toBe('NUMERIC(10,2)');
    expect(postgresTypeLabel('mood')).toBe('mood');
    expect(postgresTypeLabel('"My Type"')).toBe('"My Type"');
  });
});

describe('postgres config', () => {
  const option = (value: string | number) => ({ value, source: 'option' });

  it('applies defaults, then URL parts, then explicit keys, remembering sources', () => {
    const config = resolvePostgresConfig({
      url: { value: 'postgresql://ann:p%40ss@db.example:6543/analytics?sslmode=require', source: 'env' },
      host: { value: '127.0.0.1', source: 'default' },
      database: { value: 'override', source: 'file' },
    });
    expect(config).toMatchObject({
      host: 'db.example',
      port: 6543,
      user: 'ann',
      password: 'p@ss',
      database: 'override',
      schema: 'public',
      sslmode: 'require',
      poolSize: 4,
      statementTimeoutMs: 0,
    });
    expect(config.sources).toMatchObject({
      host: 'env (url)',
      database: 'file',
      schema: 'default',
      url: 'env',
    });
    expect(describeLocation(config, 'public')).toBe(
      'postgres://ann@db.example:6543/override (schema public)',
    );
  });

  it('accepts numbers given as strings (environment variables)', () => {
    const config = resolvePostgresConfig({
      port: option('5433'),
      pool_size: option('7'),
      statement_timeout: option('250'),
    });
    expect([config.port, config.poolSize, config.statementTimeoutMs]).toEqual([5433, 7, 250]);
  });

  it('names the key in every error and never echoes a secret', () => {
    const cases: [Record<string, { value: string | number; source: string }>, string][] = [
      [{ pool_size: option(0) }, 'database.postgresql.pool_size'],
      [{ sslmode: option('allow') }, 'database.postgresql.sslmode'],
      [{ schema: option('x'.repeat(64)) }, 'database.postgresql.schema'],
      [{ password: option('') }, 'database.postgresql.password'],
      [{ url: option('postgres://u:hunter2@h/db?application_name=x') }, 'database.postgresql.url'],
      [{ url: option('not a url hunter2') }, 'database.postgresql.url'],
      [{ memory_limit: option('1GB') }, 'database.postgresql.memory_limit'],
    ];
    for (const [settings, key] of cases) {
      let error: unknown;
      try {
        resolvePostgresConfig(settings);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).details.key).toBe(key);
      expect((error as ConfigError).message).toContain(key);
      expect((error as ConfigError).message).not.toContain('hunter2');
    }
  });
});

describe('postgres error mapping', () => {
  const location = 'postgres://u@h:5432/db (schema s)';
  const serverError = (code: string, message: string, extra: Record<string, string> = {}) =>
    Object.assign(new Error(message), { code, ...extra });

  it('maps SQLSTATEs to error classes', () => {
    expect(
      mapPostgresError(serverError('55P03', 'canceling statement due to lock timeout'), {
        sql: 'x',
        location,
      }),
    ).toBeInstanceOf(DatabaseLockedError);
    expect(
      mapPostgresError(serverError('40P01', 'deadlock detected'), { sql: 'x', location }),
    ).toBeInstanceOf(DatabaseLockedError);
    const ro = mapPostgresError(serverError('25006', 'cannot execute UPDATE in a read-only transaction'), {
      sql: '/* c */ update t set x = 1',
      location,
    });
    expect(ro).toBeInstanceOf(ReadOnlyError);
    expect(ro.message).toMatch(/^Cannot run UPDATE:/);
  });

  it('elides quoted values from data errors, keeps identifiers elsewhere, and sanitises COPY context', () => {
    const data = mapPostgresError(
      serverError('22P02', 'invalid input syntax for type bigint: "card-4111"', {
        where: 'COPY t, line 3, column id: "card-4111"',
      }),
      { sql: 'COPY "t" FROM STDIN', location },
    ) as QueryError;
    expect(data.message).toBe(
      'SQL statement failed (SQLSTATE 22P02): invalid input syntax for type bigint: "…" (COPY t, line 3, column id).',
    );
    expect(data.details.where).toBe('COPY t, line 3, column id');
    const missing = mapPostgresError(serverError('42P01', 'relation "events" does not exist'), {
      sql: 'SELECT 1',
      location,
    });
    expect(missing.message).toContain('relation "events" does not exist');
  });

  it('finds the statement keyword after comments', () => {
    expect(statementKeyword('-- note\n  /* more */ insert into t')).toBe('INSERT');
    expect(statementKeyword('(SELECT 1)')).toBe('statement');
  });
});
