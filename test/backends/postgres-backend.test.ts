import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackendConnection, OpenRequest, SettingValue } from '../../src/backend/backend.js';
import type { ColumnDef, WriteValue } from '../../src/backend/column-types.js';
import { postgresBackend } from '../../src/backends/postgres/index.js';
import {
  AbortedError,
  BackendUnavailableError,
  ConfigError,
  DatabaseClosedError,
  DatabaseLockedError,
  DatabaseNotFoundError,
  InvalidArgumentError,
  QueryError,
  ReadOnlyError,
  UnsupportedError,
} from '../../src/errors.js';
import { createTestDatabase, dropTestDatabase } from '../support/postgres-server.js';

const pgUrl = inject('pgUrl');
const skipReason = inject('pgSkipReason');
if (!pgUrl) console.warn(`[skip] ${import.meta.url.split('/').pop()}: ${skipReason}`);

/** A password in the URL: trust auth ignores it, and no message, location or setting may show it. */
const SECRET = 's3cret-Pa55';

let dbUrl = '';
let admin: pg.Client;
const open: BackendConnection[] = [];

function settings(extra: Record<string, SettingValue> = {}): Record<string, SettingValue> {
  const url = new URL(dbUrl);
  url.password = SECRET;
  return { url: { value: url.toString(), source: 'option' }, ...extra };
}

async function openPg(request: Partial<OpenRequest> = {}): Promise<BackendConnection> {
  const connection = await postgresBackend.open({
    mode: 'persistent',
    readOnly: false,
    settings: settings(),
    ...request,
  });
  open.push(connection);
  return connection;
}

async function* batches<T>(rows: readonly T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

async function scalar(sql: string, params: unknown[] = []): Promise<unknown> {
  return (await admin.query({ text: sql, values: params, rowMode: 'array' })).rows[0]?.[0];
}

async function schemaPresent(name: string): Promise<boolean> {
  return (await scalar('SELECT count(*)::int FROM pg_namespace WHERE nspname = $1', [name])) === 1;
}

async function expectError<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}

/** The schema of an ephemeral location: `postgres://… (schema mp_ephemeral_…)`. */
function schemaOf(connection: BackendConnection): string {
  const match = /\(schema (.+)\)$/.exec(connection.location);
  if (!match?.[1]) throw new Error(`no schema in ${connection.location}`);
  return match[1];
}

describe.skipIf(!pgUrl)(`postgres backend${pgUrl ? '' : ` (skipped: ${skipReason})`}`, () => {
  beforeAll(async () => {
    dbUrl = await createTestDatabase(pgUrl);
    admin = new pg.Client({ connectionString: dbUrl });
    await admin.connect();
  });

  afterAll(async () => {
    for (const connection of open) await connection.close().catch(() => {});
    await admin?.end();
    if (dbUrl) await dropTestDatabase(dbUrl);
  });

  describe('opening', () => {
    it('opens a persistent schema, creating it when missing, with a password-free location', async () => {
      const schema = 'Odd "schema" name';
      const connection = await openPg({ settings: settings({ schema: { value: schema, source: 'file' } }) });
      expect(await schemaPresent(schema)).toBe(true);
      const { port, hostname } = new URL(dbUrl);
      const database = new URL(dbUrl).pathname.slice(1);
      expect(connection.location).toBe(
        `postgres://postgres@${hostname}:${port}/${database} (schema ${schema})`,
      );
      expect(connection.location).not.toContain(SECRET);
      expect(connection.name).toBe('postgres');
      expect(connection.capabilities).toMatchObject({
        inMemory: false,
        fileBased: false,
        concurrentWriters: true,
        nativeParquet: false,
        cancelRunningStatement: true,
      });
      await connection.run('CREATE TABLE t (x int)');
      expect(
        await scalar('SELECT count(*)::int FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [
          schema,
          't',
        ]),
      ).toBe(1);
      expect(await connection.listTables()).toEqual(['t']);
      expect(connection.native).toBeInstanceOf(pg.Pool);
    });

    it('refuses in-memory mode with UnsupportedError', async () => {
      const error = await expectError(
        postgresBackend.open({ mode: 'memory', readOnly: false, settings: settings() }),
        UnsupportedError,
      );
      expect(error.code).toBe('UNSUPPORTED');
      expect(error.message).toMatch(/no in-memory mode/);
      expect(error.message).toMatch(/ephemeral/);
    });

    it('reports a missing schema on a read-only open as DatabaseNotFoundError, creating nothing', async () => {
      const error = await expectError(
        openPg({
          readOnly: true,
          settings: settings({ schema: { value: 'never_created', source: 'option' } }),
        }),
        DatabaseNotFoundError,
      );
      expect(error.code).toBe('DATABASE_NOT_FOUND');
      expect(await schemaPresent('never_created')).toBe(false);
    });

    it('reports an unknown database as DatabaseNotFoundError', async () => {
      const error = await expectError(
        openPg({ settings: settings({ database: { value: 'no_such_db', source: 'option' } }) }),
        DatabaseNotFoundError,
      );
      expect(error.message).toContain('/no_such_db');
      expect(error.message).not.toContain(SECRET);
    });

    it('reports a refused connection as BackendUnavailableError without the password', async () => {
      const error = await expectError(
        openPg({ settings: settings({ port: { value: 1, source: 'option' } }) }),
        BackendUnavailableError,
      );
      expect(error.code).toBe('BACKEND_UNAVAILABLE');
      expect(error.message).toMatch(
        /cannot reach the PostgreSQL server at postgres:\/\/postgres@127\.0\.0\.1:1\//,
      );
      expect(error.message).toContain('ECONNREFUSED');
      expect(error.message).not.toContain(SECRET);
      expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
    });

    it('rejects unknown and invalid settings with a ConfigError naming the key', async () => {
      const unknown = await expectError(
        openPg({ settings: settings({ pool: { value: 3, source: 'file' } }) }),
        ConfigError,
      );
      expect(unknown.details.key).toBe('database.postgresql.pool');
      const port = await expectError(
        openPg({ settings: settings({ port: { value: 70000, source: 'env' } }) }),
        ConfigError,
      );
      expect(port.details.key).toBe('database.postgresql.port');
      const url = await expectError(
        openPg({ settings: { url: { value: `mysql://u:${SECRET}@h/db`, source: 'env' } } }),
        ConfigError,
      );
      expect(url.details.key).toBe('database.postgresql.url');
      expect(url.message).not.toContain(SECRET);
    });

    it('closes idempotently and refuses use after close', async () => {
      const connection = await openPg();
      await connection.close();
      await connection.close();
      await expectError(connection.query('SELECT 1'), DatabaseClosedError);
      await expectError(
        connection.transaction(async () => 1),
        DatabaseClosedError,
      );
    });
  });

  describe('ephemeral schemas', () => {
    it('creates a private schema on open, uses it as search_path, and drops it on close', async () => {
      const connection = await openPg({ mode: 'ephemeral' });
      const schema = schemaOf(connection);
      expect(schema).toMatch(new RegExp(`^mp_ephemeral_${process.pid}_[0-9a-f]+$`));
      expect(await schemaPresent(schema)).toBe(true);
      await connection.run('CREATE TABLE scratch (x int)');
      await connection.run('INSERT INTO scratch VALUES (1), (2)');
      expect(
        (await connection.query('SELECT current_schema(), count(*) FROM scratch GROUP BY 1')).rows,
      ).toEqual([[schema, 2]]);
      await connection.close();
      expect(await schemaPresent(schema)).toBe(false);
    });

    it("drops a dead process's leftover schema on the next open, and leaves live or foreign ones", async () => {
      const child = spawnSync(process.execPath, ['-e', '']);
      const deadPid = child.pid;
      expect(deadPid).toBeGreaterThan(0);
      const dead = `mp_ephemeral_${deadPid}_deadbeef`;
      const live = `mp_ephemeral_${process.ppid}_cafe`;
      const foreign = `mp_ephemeral_${deadPid}_f0f0`;
      await admin.query(
        `CREATE SCHEMA ${dead}; CREATE TABLE ${dead}.events (x int); INSERT INTO ${dead}.events VALUES (1)`,
      );
      await admin.query(`CREATE SCHEMA ${live}`);
      await admin.query(
        `CREATE SCHEMA ${foreign}; COMMENT ON SCHEMA ${foreign} IS 'mixpanel-data ephemeral workspace; host=some-other-host; pid=1'`,
      );

      const connection = await openPg();
      expect(await schemaPresent(dead)).toBe(false);
      expect(await schemaPresent(live)).toBe(true);
      expect(await schemaPresent(foreign)).toBe(true);
      await connection.close();
      await admin.query(`DROP SCHEMA ${live}; DROP SCHEMA ${foreign}`);
    });
  });

  describe('writing with engine-shaped SQL', () => {
    const STAGE: ColumnDef[] = [
      { name: 'id', type: 'int64', notNull: true },
      { name: 'name', type: 'string' },
      { name: 'props', type: 'json' },
      { name: 'time', type: 'timestamp' },
      { name: '_seq', type: 'int64' },
    ];

    it('stages with COPY, dedupes into the target, renames, deletes and drops inside one transaction', async () => {
      const connection = await openPg({
        settings: settings({ schema: { value: 'engine_like', source: 'option' } }),
      });
      const q = connection.dialect.quoteIdentifier;
      const t0 = Date.UTC(2024, 0, 1);
      const result = await connection.transaction(async (s) => {
        await s.run(
          `CREATE TABLE ${q('events')} (${q('id')} BIGINT NOT NULL PRIMARY KEY, ${q('name')} TEXT, ${q('props')} JSONB, ${q('time')} TIMESTAMP)`,
        );
        await s.run(
          `CREATE TABLE ${q('_stage')} (${STAGE.map((c) => `${q(c.name)} ${connection.dialect.typeName(c.type)}`).join(', ')})`,
        );
        const rows: WriteValue[][] = [];
        for (let i = 0; i < 300; i++) {
          // ids repeat three times; the copy with the highest _seq must win
          rows.push([
            i % 100,
            `name-${i}`,
            JSON.stringify({ i, k: `v${i % 3}` }),
            new Date(t0 + i * 1000),
            i,
          ]);
        }
        const staged = await s.appendRows('_stage', STAGE, batches(rows, 64));
        const inserted = await s.run(
          `INSERT INTO ${q('events')} (id, name, props, time) SELECT s.id, s.name, s.props, s.time FROM ` +
            `(SELECT *, row_number() OVER (PARTITION BY ${q('id')} ORDER BY ${q('_seq')} DESC) AS ${q('_rn')} FROM ${q('_stage')}) s ` +
            `WHERE s.${q('_rn')} = $1 AND NOT EXISTS (SELECT 1 FROM ${q('events')} t WHERE ${connection.dialect.nullSafeEquals('t.id', 's.id')})`,
          [1],
        );
        await s.run(
          `CREATE TABLE ${q('_win')} AS SELECT id FROM ${q('events')} WHERE ${connection.dialect.jsonExtractText('props', '$1')} = $2`,
          ['k', 'v0'],
        );
        const deleted = await s.run(
          `DELETE FROM ${q('events')} WHERE id IN (SELECT id FROM ${q('_win')}) AND id < $1`,
          [50],
        );
        await s.run(`ALTER TABLE ${q('events')} RENAME TO ${q('events_final')}`);
        await s.run(`DROP TABLE ${q('_win')}`);
        await s.run(`DROP TABLE ${q('_stage')}`);
        return { staged, inserted, deleted };
      });
      expect(result).toEqual({ staged: 300, inserted: 100, deleted: 17 });
      expect(await connection.listTables()).toEqual(['events_final']);
      const { rows } = await connection.query(
        'SELECT id, name, props, time FROM events_final WHERE id = $1',
        [71],
      );
      expect(rows).toEqual([[71, 'name-271', '{"i": 271, "k": "v1"}', new Date(t0 + 271_000)]]);
      expect((await connection.query('SELECT count(*) FROM events_final')).rows).toEqual([[83]]);
      expect(await connection.describeTable('events_final')).toEqual([
        { name: 'id', type: 'BIGINT', nullable: false, primaryKey: true },
        { name: 'name', type: 'TEXT', nullable: true, primaryKey: false },
        { name: 'props', type: 'JSONB', nullable: true, primaryKey: false },
        { name: 'time', type: 'TIMESTAMP', nullable: true, primaryKey: false },
      ]);
      expect(await connection.describeTable('nope')).toBeNull();
    });

    it('rolls everything back when the callback throws, COPY included', async () => {
      const connection = await openPg({
        settings: settings({ schema: { value: 'rollback', source: 'option' } }),
      });
      const boom = new Error('boom');
      const thrown = await connection
        .transaction(async (s) => {
          await s.run('CREATE TABLE doomed (id BIGINT)');
          await s.appendRows('doomed', [{ name: 'id', type: 'int64' }], batches([[1], [2], [3]], 2));
          expect((await s.query('SELECT count(*) FROM doomed')).rows).toEqual([[3]]);
          throw boom;
        })
        .catch((e: unknown) => e);
      expect(thrown).toBe(boom);
      expect(await connection.listTables()).toEqual([]);
      const pool = connection.native as pg.Pool;
      expect(pool.idleCount).toBe(pool.totalCount);
    });

    it('reports a transaction PostgreSQL refused to commit instead of pretending success', async () => {
      const connection = await openPg({
        settings: settings({ schema: { value: 'swallowed', source: 'option' } }),
      });
      const error = await expectError(
        connection.transaction(async (s) => {
          await s.run('CREATE TABLE kept (id int)');
          await s.run('SELECT nope FROM kept').catch(() => {}); // swallowed: the transaction is now aborted
          return 'done';
        }),
        QueryError,
      );
      expect(error.message).toMatch(/rolled back/);
      expect(await connection.listTables()).toEqual([]);
    });

    it('refuses a session used after its transaction ended', async () => {
      const connection = await openPg();
      let leaked: Parameters<Parameters<BackendConnection['transaction']>[0]>[0] | undefined;
      await connection.transaction(async (s) => {
        leaked = s;
      });
      await expect(leaked!.query('SELECT 1')).rejects.toThrow(/transaction has ended/);
    });

    it('reports bad rows by position and column, never by value, and sends nothing', async () => {
      const connection = await openPg({
        settings: settings({ schema: { value: 'bad_rows', source: 'option' } }),
      });
      await connection.run('CREATE TABLE t (id BIGINT, name TEXT)');
      const cols: ColumnDef[] = [
        { name: 'id', type: 'int64' },
        { name: 'name', type: 'string' },
      ];
      const error = await expectError(
        connection.appendRows(
          't',
          cols,
          batches(
            [
              [1, 'a'],
              [2.5, 'secret-row-value'],
            ],
            10,
          ),
        ),
        InvalidArgumentError,
      );
      expect(error.message).toBe(
        "Append to table 't': row 2, column 'id' holds a non-integer or unsafe number that cannot be written as int64.",
      );
      const width = await expectError(
        connection.appendRows('t', cols, batches([[1]], 10)),
        InvalidArgumentError,
      );
      expect(width.message).toMatch(/row 1 has 1 values for 2 columns/);
      // Rejected by the server mid-COPY: the SQLSTATE and COPY line are reported, the value is not.
      const server = await expectError(
        connection.appendRows(
          't',
          cols,
          batches(
            [
              [1, 'ok'],
              ['99999999999999999999', 'b'],
            ],
            10,
          ),
        ),
        QueryError,
      );
      expect(server.details).toMatchObject({ sqlState: '22003', where: 'COPY t, line 2, column id' });
      expect(server.message).not.toContain('99999999999999999999');
      expect((await connection.query('SELECT count(*) FROM t')).rows).toEqual([[0]]);
    });
  });

  describe('COPY round trip', () => {
    const COLUMNS: ColumnDef[] = [
      { name: 'id', type: 'int64', notNull: true },
      { name: 'big', type: 'int64' },
      { name: 'name', type: 'string' },
      { name: 'props', type: 'json' },
      { name: 'time', type: 'timestamp' },
      { name: 'day', type: 'date' },
      { name: 'score', type: 'float64' },
      { name: 'flag', type: 'boolean' },
    ];
    const N = 100_000;
    const AWKWARD = [
      'tab\there',
      'new\nline',
      'carriage\rreturn',
      'back\\slash \\N not null',
      'emoji 🎉👩‍👩‍👧',
      'line\u2028separator\u2029para',
      'quotes \' " and \\t literal',
      'ünïcödé 日本語',
      '',
    ];
    const T0 = Date.UTC(2023, 5, 1, 12, 0, 0, 0);

    function row(i: number): WriteValue[] {
      const special = AWKWARD[i % AWKWARD.length]!;
      return [
        i,
        i === 42 ? 3928097563762691601n : i % 11 === 0 ? null : BigInt(i) * 1_000_003n,
        i % 7 === 0 ? null : `${special}#${i}`,
        i % 13 === 0
          ? null
          : JSON.stringify({ i, s: special, nested: { big: '9007199254740993', arr: [i, null, true] } }),
        i % 17 === 0 ? null : new Date(T0 + i * 1_001),
        i % 19 === 0
          ? null
          : `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
        i % 23 === 0 ? null : i / 7,
        i % 29 === 0 ? null : i % 2 === 0,
      ];
    }

    let connection: BackendConnection;
    beforeAll(async () => {
      connection = await openPg({
        settings: settings({ schema: { value: 'copy_round_trip', source: 'option' } }),
      });
      await connection.run(
        `CREATE TABLE events (${COLUMNS.map((c) => `${connection.dialect.quoteIdentifier(c.name)} ${connection.dialect.typeName(c.type)}${c.notNull ? ' NOT NULL' : ''}`).join(', ')})`,
      );
      async function* generate() {
        for (let start = 0; start < N; start += 5_000) {
          yield Array.from({ length: Math.min(5_000, N - start) }, (_, k) => row(start + k));
        }
      }
      const written = await connection.appendRows('events', COLUMNS, generate());
      expect(written).toBe(N);
    });

    it('stores every row: count, sums and a digest of the text as the server sees it', async () => {
      const expectedNames = Array.from({ length: N }, (_, i) => row(i)[2]).filter(
        (v) => v !== null,
      ) as string[];
      const expectedTimes = Array.from({ length: N }, (_, i) => row(i)[4])
        .filter((v) => v !== null)
        .map((d) => (d as Date).toISOString());
      const bigSum = Array.from({ length: N }, (_, i) => row(i)[1]).reduce<bigint>(
        (sum, v) => sum + (v === null ? 0n : BigInt(v as bigint)),
        0n,
      );
      const md5 = (parts: string[]) => createHash('md5').update(parts.join('\u0001'), 'utf8').digest('hex');
      const { rows } = await connection.query(
        `SELECT count(*), sum(id), sum(big)::text,
                md5(string_agg(name, E'\\x01' ORDER BY id)),
                md5(string_agg(to_char(time, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), E'\\x01' ORDER BY id)),
                count(props), count(*) FILTER (WHERE props->>'s' LIKE '%' || chr(9) || '%')
           FROM events`,
      );
      expect(rows[0]).toEqual([
        N,
        (N * (N - 1)) / 2,
        bigSum.toString(),
        md5(expectedNames),
        md5(expectedTimes),
        N - Math.ceil(N / 13),
        expect.any(Number),
      ]);
      expect(rows[0]![6]).toBeGreaterThan(0);
    });

    it('streams every row back exactly as written (value rule: bigint past 2^53, UTC Dates, JSON text)', async () => {
      let seen = 0;
      for await (const batch of connection.stream('SELECT * FROM events ORDER BY id', [], {
        batchRows: 7_000,
      })) {
        expect(batch.columns.map((c) => c.type)).toEqual([
          'BIGINT',
          'BIGINT',
          'TEXT',
          'JSONB',
          'TIMESTAMP',
          'DATE',
          'DOUBLE PRECISION',
          'BOOLEAN',
        ]);
        // One comparison per row (a field-by-field expect() per value would dominate the run time).
        for (const got of batch.rows) {
          const want: unknown[] = row(seen);
          if (typeof want[1] === 'bigint' && want[1] <= BigInt(Number.MAX_SAFE_INTEGER))
            want[1] = Number(want[1]);
          const normal = (r: unknown[]) =>
            r.map((v, i) => (i === 3 && typeof v === 'string' ? JSON.parse(v) : v));
          if (!isDeepStrictEqual(normal(got), normal(want))) expect(normal(got)).toEqual(normal(want));
          seen++;
        }
      }
      expect(seen).toBe(N);
      const { rows } = await connection.query('SELECT big FROM events WHERE id = 42');
      expect(rows[0]![0]).toBe(3928097563762691601n);
    });

    it('keeps timestamps exact whatever the process time zone', async () => {
      const previous = process.env.TZ;
      try {
        for (const tz of ['America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham']) {
          process.env.TZ = tz;
          expect(new Date(0).getTimezoneOffset()).not.toBe(0); // the zone really changed
          const when = new Date(Date.UTC(2024, 2, 10, 10, 30, 15, 123)); // a DST transition day in the US
          await connection.run('CREATE TABLE IF NOT EXISTS tz (k TEXT, t TIMESTAMP, tz TIMESTAMPTZ)');
          await connection.run('INSERT INTO tz VALUES ($1, $2, $3)', [`${tz}-param`, when, when]);
          await connection.appendRows(
            'tz',
            [
              { name: 'k', type: 'string' },
              { name: 't', type: 'timestamp' },
              { name: 'tz', type: 'timestamp' },
            ],
            batches([[`${tz}-copy`, when, when]], 1),
          );
          const { rows } = await connection.query(
            `SELECT t, tz, to_char(t, 'YYYY-MM-DD HH24:MI:SS.MS') FROM tz WHERE k IN ($1, $2) ORDER BY k`,
            [`${tz}-copy`, `${tz}-param`],
          );
          expect(rows).toEqual([
            [when, when, '2024-03-10 10:30:15.123'],
            [when, when, '2024-03-10 10:30:15.123'],
          ]);
        }
      } finally {
        if (previous === undefined) delete process.env.TZ;
        else process.env.TZ = previous;
      }
    });

    it('COPY writes Date timestamps exactly on the cached-day path and outside years 1–9999', async () => {
      // Same day twice (the encoder reuses the day's text), the previous day, pre-1970, and a BC
      // year the day cache declines (the general formatter's `… BC` spelling).
      const times = [
        Date.UTC(2024, 5, 1, 23, 59, 59, 999),
        Date.UTC(2024, 5, 1, 0, 0, 0, 1),
        Date.UTC(2024, 4, 31, 12),
        Date.UTC(1969, 11, 31, 23, 59, 59, 7),
        new Date('-000043-03-15T00:00:00Z').getTime(),
      ];
      await connection.run('CREATE TABLE copy_days (n BIGINT, t TIMESTAMP)');
      const written = await connection.appendRows(
        'copy_days',
        [
          { name: 'n', type: 'int64' },
          { name: 't', type: 'timestamp' },
        ],
        batches(
          times.map((t, n) => [n, new Date(t)]),
          2,
        ),
      );
      expect(written).toBe(times.length);
      const { rows } = await connection.query(
        `SELECT t, to_char(t, 'YYYY-MM-DD HH24:MI:SS.MS BC') FROM copy_days ORDER BY n`,
      );
      expect(rows).toEqual([
        [new Date(times[0]!), '2024-06-01 23:59:59.999 AD'],
        [new Date(times[1]!), '2024-06-01 00:00:00.001 AD'],
        [new Date(times[2]!), '2024-05-31 12:00:00.000 AD'],
        [new Date(times[3]!), '1969-12-31 23:59:59.007 AD'],
        [new Date(times[4]!), '0044-03-15 00:00:00.000 BC'],
      ]);
    });
  });

  describe('reading values', () => {
    it('follows the value rule for scalar and array types', async () => {
      const connection = await openPg();
      const { columns, rows } = await connection.query(
        `SELECT 42::int8, 9007199254740993::int8, '-9223372036854775808'::int8, 1.50::numeric, 0.1::numeric,
                12345678901234567.89::numeric, 'NaN'::numeric, '2024-02-29'::date, '0044-03-15 BC'::date,
                '2024-01-01 00:00:00.123456'::timestamp, '2024-01-01 05:30:00+05:30'::timestamptz,
                'infinity'::timestamp, '{"b": 1, "a": [1, 2]}'::jsonb, '{"raw" : true}'::json,
                ARRAY[1, 9007199254740993]::int8[], ARRAY['2024-01-01 00:00:00'::timestamp],
                NULL::text, true, 1.5::float8, '1 day 02:00'::interval, 7::int4, 'x'::varchar(3)`,
      );
      expect(rows[0]).toEqual([
        42,
        9007199254740993n,
        -9223372036854775808n,
        1.5,
        0.1,
        '12345678901234567.89',
        Number.NaN,
        '2024-02-29',
        '0044-03-15 BC',
        new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 123)),
        new Date(Date.UTC(2024, 0, 1, 0, 0, 0)),
        'infinity',
        '{"a": [1, 2], "b": 1}',
        '{"raw" : true}',
        [1, 9007199254740993n],
        [new Date(Date.UTC(2024, 0, 1))],
        null,
        true,
        1.5,
        '1 day 02:00:00',
        7,
        'x',
      ]);
      expect(columns.map((c) => c.type)).toEqual([
        'BIGINT',
        'BIGINT',
        'BIGINT',
        'NUMERIC',
        'NUMERIC',
        'NUMERIC',
        'NUMERIC',
        'DATE',
        'DATE',
        'TIMESTAMP',
        'TIMESTAMPTZ',
        'TIMESTAMP',
        'JSONB',
        'JSON',
        'BIGINT[]',
        'TIMESTAMP[]',
        'TEXT',
        'BOOLEAN',
        'DOUBLE PRECISION',
        'INTERVAL',
        'INTEGER',
        'VARCHAR',
      ]);
      // Types outside the built-in table are looked up in pg_type once.
      const other = await connection.query(
        "SELECT '127.0.0.1'::inet, 'pg_class'::regclass, ARRAY['1 day'::interval]",
      );
      expect(other.columns.map((c) => c.type)).toEqual(['inet', 'regclass', 'INTERVAL[]']);
      expect(other.rows).toEqual([['127.0.0.1', 'pg_class', ['1 day']]]);
    });

    it('binds parameters: bigint, Date, null, arrays', async () => {
      const connection = await openPg();
      const when = new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999));
      const { rows } = await connection.query(
        'SELECT $1::int8, $2::timestamp, $3::text IS NULL, $4::int8[], $5::text',
        [3928097563762691601n, when, undefined, [1n, 2n], 'it\'s "quoted" $1'],
      );
      expect(rows[0]).toEqual([3928097563762691601n, when, true, [1, 2], 'it\'s "quoted" $1']);
    });

    it('maps query errors to QueryError with the SQL text but never the parameter values', async () => {
      const connection = await openPg();
      const sql = 'SELECT $1::int + nosuchcol';
      const error = await expectError(connection.query(sql, ['param-secret']), QueryError);
      expect(error.code).toBe('QUERY_FAILED');
      expect(error.query).toBe(sql);
      expect(error.details).toMatchObject({ query: sql, sqlState: '42703' });
      expect(error.message).toMatch(/column "nosuchcol" does not exist/);
      const bad = await expectError(
        connection.query('SELECT $1::bigint', ['not-a-number-secret']),
        QueryError,
      );
      expect(bad.details.sqlState).toBe('22P02');
      expect(bad.message).not.toContain('secret');
      expect(JSON.stringify(bad.toJSON())).not.toContain('secret');
    });
  });

  describe('read-only', () => {
    it('reads, but rejects writes (SQL and COPY) with ReadOnlyError', async () => {
      const writer = await openPg({ settings: settings({ schema: { value: 'ro', source: 'option' } }) });
      await writer.run('CREATE TABLE t (x int)');
      await writer.run('INSERT INTO t VALUES (1), (2)');
      const reader = await openPg({
        readOnly: true,
        settings: settings({ schema: { value: 'ro', source: 'option' } }),
      });
      expect(reader.readOnly).toBe(true);
      expect((await reader.query('SELECT sum(x) FROM t')).rows).toEqual([[3]]);
      const insert = await expectError(reader.run('INSERT INTO t VALUES (3)'), ReadOnlyError);
      expect(insert.code).toBe('READ_ONLY');
      expect(insert.message).toMatch(/^Cannot run INSERT: the database was opened read-only/);
      await expectError(reader.run('CREATE TABLE u (x int)'), ReadOnlyError);
      await expectError(
        reader.transaction((s) => s.run('DELETE FROM t')),
        ReadOnlyError,
      );
      const copy = await expectError(
        reader.appendRows('t', [{ name: 'x', type: 'int64' }], batches([[5]], 1)),
        ReadOnlyError,
      );
      expect(copy.message).toMatch(/append rows to table 't'/);
      expect((await writer.query('SELECT count(*) FROM t')).rows).toEqual([[2]]);
      const applied = await reader.settings();
      expect(applied.find((s) => s.key === 'read_only')?.value).toBe('on');
    });
  });

  describe('locks', () => {
    it('turns a lock held by another client into DatabaseLockedError after lockTimeoutMs', async () => {
      const connection = await openPg({
        lockTimeoutMs: 2_000,
        settings: settings({ schema: { value: 'locks', source: 'option' } }),
      });
      await connection.run('CREATE TABLE busy (x int)');
      const holder = new pg.Client({ connectionString: dbUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE locks.busy IN ACCESS EXCLUSIVE MODE');
        const started = Date.now();
        const error = await expectError(connection.query('SELECT count(*) FROM busy'), DatabaseLockedError);
        const waited = Date.now() - started;
        expect(error.code).toBe('DATABASE_LOCKED');
        expect(error.path).toBe(connection.location);
        expect(waited).toBeGreaterThanOrEqual(1_900);
        expect(waited).toBeLessThan(10_000);
        expect((await connection.settings()).find((s) => s.key === 'lock_timeout')?.value).toBe('2000');
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      expect((await connection.query('SELECT count(*) FROM busy')).rows).toEqual([[0]]);
    });
  });

  describe('streaming', () => {
    let connection: BackendConnection;
    beforeAll(async () => {
      connection = await openPg({ settings: settings({ schema: { value: 'streams', source: 'option' } }) });
      await connection.run('CREATE TABLE nums AS SELECT g::int8 AS n FROM generate_series(1, 25000) g');
    });

    it('yields batches of batchRows from a server-side cursor', async () => {
      const sizes: number[] = [];
      let sum = 0;
      for await (const batch of connection.stream('SELECT n FROM nums WHERE n > $1 ORDER BY n', [0], {
        batchRows: 10_000,
      })) {
        sizes.push(batch.rows.length);
        for (const [n] of batch.rows) sum += n as number;
        expect(batch.columns).toEqual([{ name: 'n', type: 'BIGINT' }]);
      }
      expect(sizes).toEqual([10_000, 10_000, 5_000]);
      expect(sum).toBe((25_000 * 25_001) / 2);
    });

    it('releases the client and ends the cursor transaction on early break', async () => {
      const pool = connection.native as pg.Pool;
      let batches = 0;
      for await (const batch of connection.stream('SELECT n FROM nums ORDER BY n', [], {
        batchRows: 1_000,
      })) {
        batches++;
        expect(batch.rows[0]).toEqual([1]);
        expect(pool.idleCount).toBe(pool.totalCount - 1); // the stream holds one client
        break;
      }
      expect(batches).toBe(1);
      expect(pool.idleCount).toBe(pool.totalCount);
      expect(pool.waitingCount).toBe(0);
      const idleInTransaction = await scalar(
        "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mixpanel-data' AND state LIKE 'idle in transaction%'",
      );
      expect(idleInTransaction).toBe(0);
    });

    it('streams statements a cursor cannot wrap', async () => {
      const out: unknown[][] = [];
      for await (const batch of connection.stream('SHOW TimeZone')) out.push(...batch.rows);
      expect(out).toEqual([['UTC']]);
    });

    it('reports a bad query from stream() with its own SQL, and releases the client', async () => {
      const pool = connection.native as pg.Pool;
      const sql = 'SELEC n FROM nums';
      const iterate = async () => {
        for await (const _ of connection.stream(sql)) {
          // never reached
        }
      };
      const error = await expectError(iterate(), QueryError);
      expect(error.query).toBe(sql);
      expect(pool.idleCount).toBe(pool.totalCount);
    });
  });

  describe('cancellation', () => {
    it('cancels a running statement with pg_cancel_backend and reports AbortedError', async () => {
      const connection = await openPg();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const started = Date.now();
      const error = await expectError(
        connection.query('SELECT pg_sleep(10)', [], { signal: controller.signal }),
        AbortedError,
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(error.code).toBe('ABORTED');
      // The server really stopped, and the pooled client is healthy.
      expect(
        await scalar(
          "SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)' AND state = 'active'",
        ),
      ).toBe(0);
      expect((await connection.query('SELECT 1')).rows).toEqual([[1]]);
    });

    it('refuses to start with an already aborted signal, and aborts a stream mid-way', async () => {
      const connection = await openPg();
      await expectError(connection.run('SELECT 1', [], { signal: AbortSignal.abort() }), AbortedError);
      const controller = new AbortController();
      const pool = connection.native as pg.Pool;
      const iterate = async () => {
        for await (const _ of connection.stream('SELECT g FROM generate_series(1, 100000) g', [], {
          batchRows: 100,
          signal: controller.signal,
        })) {
          controller.abort();
        }
      };
      await expectError(iterate(), AbortedError);
      expect(pool.idleCount).toBe(pool.totalCount);
    });

    it('aborts an append between batches, leaving no rows', async () => {
      const connection = await openPg({
        settings: settings({ schema: { value: 'abort_append', source: 'option' } }),
      });
      await connection.run('CREATE TABLE t (x BIGINT)');
      const controller = new AbortController();
      async function* slow() {
        for (let i = 0; i < 100; i++) {
          if (i === 3) controller.abort();
          yield [[i], [i + 1000]];
        }
      }
      await expectError(
        connection.appendRows('t', [{ name: 'x', type: 'int64' }], slow(), { signal: controller.signal }),
        AbortedError,
      );
      expect((await connection.query('SELECT count(*) FROM t')).rows).toEqual([[0]]);
    });
  });

  describe('settings and stats', () => {
    it('reads back the applied settings with their sources, secrets masked', async () => {
      const connection = await openPg({
        settings: settings({
          statement_timeout: { value: 1234, source: 'env' },
          pool_size: { value: 3, source: 'file' },
          schema: { value: 'settings_check', source: 'option' },
          sslmode: { value: 'disable', source: 'file' },
        }),
      });
      const applied = await connection.settings();
      const byKey = Object.fromEntries(applied.map((s) => [s.key, s]));
      expect(byKey['database.postgresql.statement_timeout']).toEqual({
        key: 'database.postgresql.statement_timeout',
        value: '1234',
        source: 'env',
      });
      expect(byKey['database.postgresql.pool_size']).toMatchObject({ value: '3', source: 'file' });
      expect(byKey['database.postgresql.schema']).toMatchObject({
        value: 'settings_check',
        source: 'option',
      });
      expect(byKey['database.postgresql.user']).toMatchObject({ value: 'postgres', source: 'option (url)' });
      expect(byKey['database.postgresql.sslmode']).toMatchObject({
        value: 'disable (ssl off)',
        source: 'file',
      });
      expect(byKey['database.postgresql.password']).toMatchObject({ value: '********' });
      expect(byKey['database.postgresql.url']).toMatchObject({ value: '********' });
      expect(byKey.time_zone?.value).toBe('UTC');
      expect(byKey.server_version?.value).toMatch(/^\d+/);
      expect(JSON.stringify(applied)).not.toContain(SECRET);

      // The timeout is really in force: a slow statement is stopped by the server (not an abort).
      const error = await expectError(connection.query('SELECT pg_sleep(3)'), QueryError);
      expect(error.details.sqlState).toBe('57014');
      expect(error.message).toMatch(/statement timeout/);
    });

    it('falls back from sslmode=prefer to plain TCP when the server has no TLS', async () => {
      const connection = await openPg({
        settings: settings({ sslmode: { value: 'prefer', source: 'default' } }),
      });
      const ssl = (await connection.settings()).find((s) => s.key === 'database.postgresql.sslmode');
      expect(ssl?.value).toBe('prefer (ssl off)');
    });

    it('reports table sizes and the schema total from pg_total_relation_size', async () => {
      const connection = await openPg({
        settings: settings({ schema: { value: 'sized', source: 'option' } }),
      });
      await connection.run(
        "CREATE TABLE a AS SELECT g AS n, repeat('x', 100) AS pad FROM generate_series(1, 5000) g",
      );
      await connection.run('CREATE TABLE b (n int)');
      const stats = await connection.stats([
        { name: 'a', rows: 5000 },
        { name: 'b', rows: 0 },
        { name: 'missing', rows: 0 },
      ]);
      const a = Number(await scalar("SELECT pg_total_relation_size('sized.a')"));
      const b = Number(await scalar("SELECT pg_total_relation_size('sized.b')"));
      expect(stats).toEqual({
        backend: 'postgres',
        location: connection.location,
        databaseBytes: a + b,
        memoryBytes: null,
        tables: [
          { name: 'a', rows: 5000, bytes: a },
          { name: 'b', rows: 0, bytes: b },
          { name: 'missing', rows: 0, bytes: null },
        ],
      });
      expect(a).toBeGreaterThan(500_000);
    });
  });

  describe('concurrency', () => {
    it('lets readers see the committed count while a writer COPYs inside a transaction', async () => {
      const writer = await openPg({ settings: settings({ schema: { value: 'mvcc', source: 'option' } }) });
      const reader = await openPg({
        readOnly: true,
        settings: settings({ schema: { value: 'mvcc', source: 'option' } }),
      });
      await writer.run('CREATE TABLE IF NOT EXISTS t (x BIGINT)');
      await writer.run('INSERT INTO t SELECT g FROM generate_series(1, 1000) g');
      const count = async () => (await reader.query('SELECT count(*) FROM t')).rows[0]![0];
      const seenDuringCopy: unknown[] = [];
      async function* rows() {
        for (let b = 0; b < 10; b++) {
          yield Array.from({ length: 5_000 }, (_, i) => [b * 5_000 + i]);
          seenDuringCopy.push(await count()); // the COPY is in flight on the writer's connection
        }
      }
      await writer.transaction(async (s) => {
        expect(await s.appendRows('t', [{ name: 'x', type: 'int64' }], rows())).toBe(50_000);
        expect((await s.query('SELECT count(*) FROM t')).rows).toEqual([[51_000]]);
        expect(await count()).toBe(1000);
      });
      expect(seenDuringCopy).toEqual(Array(10).fill(1000));
      expect(await count()).toBe(51_000);
    });
  });
});
