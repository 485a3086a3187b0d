import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BackendConnection, OpenRequest } from '../../src/backend/backend.js';
import type { ColumnDef, WriteValue } from '../../src/backend/column-types.js';
import { sqliteBackend } from '../../src/backends/sqlite/index.js';
import { AbortedError, InvalidRecordError, QueryError } from '../../src/errors.js';
import { tempDir } from '../support/temp-dir.js';

const open: BackendConnection[] = [];

async function openSqlite(request: Partial<OpenRequest> = {}): Promise<BackendConnection> {
  const connection = await sqliteBackend.open({ mode: 'memory', readOnly: false, settings: {}, ...request });
  open.push(connection);
  return connection;
}

afterEach(async () => {
  for (const connection of open.splice(0)) await connection.close();
});

// Timestamps must not depend on the machine's zone: run everything far from UTC.
const savedTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'Pacific/Chatham'; // UTC+12:45/+13:45, with DST
});
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const EVENT_COLUMNS: readonly ColumnDef[] = [
  { name: 'event_name', type: 'string', notNull: true },
  { name: 'event_time', type: 'timestamp', notNull: true },
  { name: 'distinct_id', type: 'string', notNull: true },
  { name: 'seq', type: 'int64', notNull: true },
  { name: 'properties', type: 'json' },
];
const CREATE_EVENTS = `CREATE TABLE "events" ("event_name" TEXT NOT NULL, "event_time" TIMESTAMP NOT NULL,
  "distinct_id" TEXT NOT NULL, "seq" INTEGER NOT NULL, "properties" JSON)`;

const BIG = 3928097563762691601n;
const AWKWARD = [
  'plain',
  'ünïcödé',
  '😀 emoji 👩‍👩‍👧',
  'line\u2028sep\u2029para',
  `it's "quoted" \\ back`,
  '',
  '\0nul',
];
const T0 = Date.UTC(2024, 2, 31, 1, 30, 0, 0); // around the Chatham DST switch

/** Deterministic event-shaped rows (5 columns, ~150 bytes of JSON). */
function eventRow(i: number): WriteValue[] {
  const name = AWKWARD[i % AWKWARD.length]!;
  const properties =
    i % 10 === 9
      ? null
      : `{"$browser":"Chrome","$city":"São Paulo","plan":"pro","n":${i},"id":${BIG},"text":${JSON.stringify(name)},"path":"/pricing/${i}"}`;
  return [`Event ${name}`, new Date(T0 + i * 1001), `user-${i % 977}`, i === 7 ? BIG : i, properties];
}

async function* batches(
  count: number,
  size: number,
  onBatch?: (index: number) => void,
): AsyncGenerator<WriteValue[][]> {
  for (let start = 0, index = 0; start < count; start += size, index++) {
    onBatch?.(index);
    const batch: WriteValue[][] = [];
    for (let i = start; i < Math.min(count, start + size); i++) batch.push(eventRow(i));
    yield batch;
  }
}

describe('sqlite backend: appendRows', () => {
  it('writes 100k rows exactly: counts, big ints, unicode, JSON, nulls and UTC timestamps', async () => {
    const connection = await openSqlite({
      mode: 'persistent',
      path: join(tempDir('mp-sqlite-'), 'append.db'),
    });
    const N = 100_000;
    const written = await connection.transaction(async (session) => {
      await session.run(CREATE_EVENTS);
      return session.appendRows('events', EVENT_COLUMNS, batches(N, 4096));
    });
    expect(written).toBe(N);
    expect(
      (await connection.query('SELECT count(*), count(properties), sum(seq = ?) FROM events', [BIG])).rows,
    ).toEqual([[N, N - N / 10, 1]]);
    // Every row read back through stream() equals what was written.
    let seen = 0;
    for await (const batch of connection.stream('SELECT * FROM events ORDER BY rowid', [], {
      batchRows: 7000,
    })) {
      expect(batch.rows.length).toBeLessThanOrEqual(7000);
      for (const row of batch.rows) {
        const expected = eventRow(seen);
        if (seen === 7) expected[3] = BIG;
        expect(row).toEqual(expected);
        seen++;
      }
    }
    expect(seen).toBe(N);
    const { rows } = await connection.query(
      "SELECT seq, typeof(seq), event_time, properties ->> '$.id', properties ->> 'text' FROM events WHERE seq IN (?, 8)",
      [BIG],
    );
    expect(rows).toEqual([
      [BIG, 'integer', new Date(T0 + 7 * 1001), BIG, AWKWARD[0]],
      [8, 'integer', new Date(T0 + 8 * 1001), BIG, AWKWARD[1]],
    ]);
    // Stored text is UTC, whatever TZ says. (A bare computed column holding exactly that format reads
    // back as a Date, so that max(event_time) is one; the suffix keeps this one text.)
    expect(
      (await connection.query("SELECT typeof(event_time), event_time || '|' FROM events WHERE seq = 0")).rows,
    ).toEqual([['text', '2024-03-31 01:30:00.000|']]);
    expect((await connection.query('SELECT min(event_time), max(event_time) FROM events')).rows).toEqual([
      [new Date(T0), new Date(T0 + (N - 1) * 1001)],
    ]);
  });

  it('converts each value for its column type (booleans, dates, epoch/ISO timestamps, numbers for text, big ints)', async () => {
    const connection = await openSqlite();
    const columns: ColumnDef[] = [
      { name: 'b', type: 'boolean' },
      { name: 'd', type: 'date' },
      { name: 's', type: 'string' },
      { name: 'i', type: 'int64' },
      { name: 'f', type: 'float64' },
      { name: 'ts', type: 'timestamp' },
    ];
    await connection.run('CREATE TABLE t (b BOOLEAN, d DATE, s TEXT, i INTEGER, f REAL, ts TIMESTAMP)');
    const data: WriteValue[][] = [
      [true, new Date(Date.UTC(2024, 0, 31, 23, 0)), 5, -9223372036854775808n, 0.1, Date.UTC(2024, 0, 1, 12)],
      [false, '1999-12-31', 'x', 9223372036854775807n, -1e300, '2024-01-01T12:00:00.5-05:30'],
      [null, null, null, null, null, null],
    ];
    async function* one() {
      yield data;
    }
    expect(await connection.appendRows('t', columns, one())).toBe(3);
    expect((await connection.query('SELECT * FROM t ORDER BY rowid')).rows).toEqual([
      [true, '2024-01-31', '5', -9223372036854775808n, 0.1, new Date(Date.UTC(2024, 0, 1, 12))],
      [
        false,
        '1999-12-31',
        'x',
        9223372036854775807n,
        -1e300,
        new Date(Date.UTC(2024, 0, 1, 17, 30, 0, 500)),
      ],
      [null, null, null, null, null, null],
    ]);
    expect(
      (await connection.query("SELECT '<' || ts || '>' FROM t WHERE ts IS NOT NULL ORDER BY ts")).rows,
    ).toEqual([['<2024-01-01 12:00:00.000>'], ['<2024-01-01 17:30:00.500>']]);
  });

  it('stores Date timestamps as the same UTC text on the cached-day path and outside years 1–9999', async () => {
    const connection = await openSqlite();
    await connection.run('CREATE TABLE t (ts TIMESTAMP)');
    // Same day twice (the writer reuses the day's text), then the previous day, pre-1970, and years
    // the day cache declines (0 and 10000), which keep the general formatter's spelling.
    const times = [
      Date.UTC(2024, 5, 1, 23, 59, 59, 999),
      Date.UTC(2024, 5, 1, 0, 0, 0, 1),
      Date.UTC(2024, 4, 31, 12),
      Date.UTC(1969, 11, 31, 23, 59, 59, 7),
      -62_167_219_200_000, // 0000-01-01T00:00:00.000Z
      Date.UTC(10000, 0, 1),
    ];
    async function* one() {
      yield times.map((t) => [new Date(t)]);
    }
    expect(await connection.appendRows('t', [{ name: 'ts', type: 'timestamp' }], one())).toBe(times.length);
    const stored = (await connection.query("SELECT '<' || ts || '>' FROM t ORDER BY rowid")).rows.map(
      (r) => r[0],
    );
    expect(stored).toEqual([
      '<2024-06-01 23:59:59.999>',
      '<2024-06-01 00:00:00.001>',
      '<2024-05-31 12:00:00.000>',
      '<1969-12-31 23:59:59.007>',
      '<0000-01-01 00:00:00.000>',
      '<+010000-01-01 00:00:00.000>',
    ]);
  });

  it('a failure inside transaction() rolls everything back', async () => {
    const connection = await openSqlite({ mode: 'persistent', path: join(tempDir('mp-sqlite-'), 'rb.db') });
    await connection.run('CREATE TABLE keep (x INTEGER)');
    await connection.run('INSERT INTO keep VALUES (1)');
    const failure = connection.transaction(async (session) => {
      await session.run(CREATE_EVENTS);
      await session.appendRows('events', EVENT_COLUMNS, batches(5000, 1000));
      await session.run('DELETE FROM keep');
      throw new Error('boom');
    });
    await expect(failure).rejects.toThrow('boom');
    expect(await connection.listTables()).toEqual(['keep']);
    expect((await connection.query('SELECT x FROM keep')).rows).toEqual([[1]]);
  });

  it('a bad row or a failing source rolls back too, and the source error passes through unchanged', async () => {
    const connection = await openSqlite();
    await connection.run(CREATE_EVENTS);
    async function* failing() {
      yield [eventRow(0), eventRow(1)];
      throw new InvalidRecordError(3, 'event_time', 'is required');
    }
    await expect(connection.appendRows('events', EVENT_COLUMNS, failing())).rejects.toBeInstanceOf(
      InvalidRecordError,
    );
    async function* nullInNotNull() {
      yield [eventRow(0), [null, new Date(), 'u', 1, null]];
    }
    const error = await connection.appendRows('events', EVENT_COLUMNS, nullInNotNull()).catch((e) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect(error.message).toContain('NOT NULL constraint failed: events.event_name');
    expect((await connection.query('SELECT count(*) FROM events')).rows).toEqual([[0]]);
  });

  it('an abort between batches is AbortedError and the caller rolls back', async () => {
    const connection = await openSqlite({
      mode: 'persistent',
      path: join(tempDir('mp-sqlite-'), 'abort.db'),
    });
    const controller = new AbortController();
    let batchesStarted = 0;
    const load = connection.transaction(async (session) => {
      await session.run(CREATE_EVENTS);
      return session.appendRows(
        'events',
        EVENT_COLUMNS,
        batches(50_000, 1000, (index) => {
          batchesStarted = index + 1;
          if (index === 3) controller.abort(new Error('user pressed Ctrl-C'));
        }),
        { signal: controller.signal },
      );
    });
    const error = await load.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).code).toBe('ABORTED');
    expect(batchesStarted).toBe(4); // stopped right after the batch during which the abort came
    expect(await connection.listTables()).toEqual([]);
  });

  it('an abort from a timer stops a load of ready data (the writer yields to the event loop)', async () => {
    const connection = await openSqlite();
    await connection.run(CREATE_EVENTS);
    const ready: WriteValue[][] = Array.from({ length: 500 }, (_, i) => eventRow(i));
    async function* endless() {
      for (;;) yield ready; // never awaits anything but microtasks
    }
    const signal = AbortSignal.timeout(50);
    const started = performance.now();
    await expect(
      connection.appendRows('events', EVENT_COLUMNS, endless(), { signal }),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await connection.query('SELECT count(*) FROM events')).rows).toEqual([[0]]);
  });
});

describe('sqlite backend: stream', () => {
  it('streams in batches and an early break releases the statement', async () => {
    const connection = await openSqlite();
    await connection.run('CREATE TABLE t (x INTEGER)');
    await connection.run(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) INSERT INTO t SELECT x FROM c',
    );
    const sizes: number[] = [];
    for await (const batch of connection.stream('SELECT x FROM t ORDER BY x', [], { batchRows: 3000 })) {
      sizes.push(batch.rows.length);
      expect(batch.columns).toEqual([{ name: 'x', type: 'INTEGER' }]);
    }
    expect(sizes).toEqual([3000, 3000, 3000, 1000]);

    // While a stream is open, better-sqlite3 refuses writes on that connection...
    const iterator = connection
      .stream('SELECT x FROM t ORDER BY x', [], { batchRows: 100 })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value?.rows[0]).toEqual([1]);
    const blocked = await connection.run('INSERT INTO t VALUES (0)').catch((e) => e);
    expect(blocked).toBeInstanceOf(QueryError);
    expect(blocked.message).toContain('stream() on this connection is still open');
    await iterator.return?.();

    // ...and a break releases it, so writes work again at once.
    let first: unknown;
    for await (const batch of connection.stream('SELECT x FROM t WHERE x > ? ORDER BY x', [9990], {
      batchRows: 2,
    })) {
      first = batch.rows;
      break;
    }
    expect(first).toEqual([[9991], [9992]]);
    expect(await connection.run('INSERT INTO t VALUES (0)')).toBe(1);
  });

  it('stops with AbortedError between batches, and yields nothing for an empty result', async () => {
    const connection = await openSqlite();
    await connection.run('CREATE TABLE t (x INTEGER)');
    await connection.run('INSERT INTO t VALUES (1), (2), (3)');
    const controller = new AbortController();
    const seen: unknown[] = [];
    const consume = async () => {
      for await (const batch of connection.stream('SELECT x FROM t', [], {
        batchRows: 1,
        signal: controller.signal,
      })) {
        seen.push(...batch.rows);
        controller.abort();
      }
    };
    await expect(consume()).rejects.toBeInstanceOf(AbortedError);
    expect(seen).toEqual([[1]]);
    expect(await connection.run('DELETE FROM t')).toBe(3); // the aborted stream released its statement
    const empty = [];
    for await (const batch of connection.stream('SELECT x FROM t')) empty.push(batch);
    expect(empty).toEqual([]);
  });
});

describe('sqlite backend: the statements the storage engine runs', () => {
  it('staging, dedup with row_number, anti-join, CTAS, rename, delete-in, index, all in one transaction', async () => {
    const connection = await openSqlite({
      mode: 'persistent',
      path: join(tempDir('mp-sqlite-'), 'engine.db'),
    });
    const q = connection.dialect.quoteIdentifier;
    const staging: ColumnDef[] = [
      { name: 'event_name', type: 'string', notNull: true },
      { name: 'event_time', type: 'timestamp', notNull: true },
      { name: 'distinct_id', type: 'string', notNull: true },
      { name: 'insert_id', type: 'string', notNull: true },
      { name: 'properties', type: 'json' },
      { name: '_proc', type: 'int64' },
      { name: '_seq', type: 'int64', notNull: true },
    ];
    const t = new Date(Date.UTC(2024, 0, 1));
    const rows: WriteValue[][] = [
      ['a', t, 'u1', 'i1', '{"v":1}', 10, 0],
      ['a', t, 'u1', 'i1', '{"v":2}', 30, 1], // duplicate with the larger _proc: wins
      ['a', t, 'u1', 'i1', '{"v":3}', null, 2],
      ['b', t, 'u2', 'i2', '{"v":4}', 5, 3],
      ['c', t, 'u3', 'i3', '{"v":5}', 5, 4], // already stored: skipped by the anti-join
    ];
    async function* source() {
      yield rows;
    }
    const cols = 'event_name, event_time, distinct_id, insert_id, properties';
    const key = ['event_name', 'distinct_id', 'event_time', 'insert_id'];
    const inserted = await connection.transaction(async (session) => {
      await session.run(`CREATE TABLE ${q('events_new')} (event_name TEXT NOT NULL, event_time TIMESTAMP NOT NULL,
        distinct_id TEXT NOT NULL, insert_id TEXT NOT NULL, properties JSON)`);
      await session.run(`INSERT INTO events_new VALUES (?, ?, ?, ?, ?)`, ['c', t, 'u3', 'i3', '{"v":0}']);
      await session.run(`ALTER TABLE ${q('events_new')} RENAME TO ${q('events')}`);
      await session.run(`CREATE INDEX ${q('events_dedup_key')} ON events (${key.map(q).join(', ')})`);
      await session.run(
        `CREATE TABLE ${q('_stage')} (${staging.map((c) => `${q(c.name)} ${connection.dialect.typeName(c.type)}${c.notNull ? ' NOT NULL' : ''}`).join(', ')})`,
      );
      expect(await session.appendRows('_stage', staging, source())).toBe(5);
      const winners =
        `SELECT ${cols} FROM (SELECT *, row_number() OVER (PARTITION BY ${key.map(q).join(', ')} ` +
        `ORDER BY "_proc" DESC NULLS LAST, "_seq" DESC) AS "_rn" FROM "_stage") s WHERE s."_rn" = ?`;
      const count = await session.run(
        `INSERT INTO events (${cols}) SELECT ${cols} FROM (${winners}) w WHERE NOT EXISTS ` +
          `(SELECT 1 FROM events e WHERE ${key.map((k) => `e.${q(k)} = w.${q(k)}`).join(' AND ')})`,
        [1],
      );
      await session.run(`CREATE TABLE ${q('_win')} AS SELECT * FROM events WHERE event_name IN (?, ?)`, [
        'a',
        'b',
      ]);
      expect(
        await session.run(
          `DELETE FROM events WHERE insert_id IN (SELECT insert_id FROM _win WHERE event_name = ?)`,
          ['b'],
        ),
      ).toBe(1);
      // CREATE TABLE AS declares NUM for TIMESTAMP sources; the stored text still reads as a Date.
      expect((await session.query('SELECT event_time FROM _win LIMIT 1')).rows).toEqual([[t]]);
      await session.run(`DROP TABLE ${q('_win')}`);
      await session.run(`DROP TABLE ${q('_stage')}`);
      return count;
    });
    expect(inserted).toBe(2);
    expect((await connection.query(`SELECT ${cols} FROM events ORDER BY event_name`)).rows).toEqual([
      ['a', t, 'u1', 'i1', '{"v":2}'],
      ['c', t, 'u3', 'i3', '{"v":0}'],
    ]);
    expect(await connection.listTables()).toEqual(['events']);
    const plan = await connection.query(
      `EXPLAIN QUERY PLAN SELECT 1 FROM events WHERE event_name = ? AND distinct_id = ? AND event_time = ? AND insert_id = ?`,
      ['a', 'u1', t, 'i1'],
    );
    expect(JSON.stringify(plan.rows)).toContain('events_dedup_key');
  });
});

describe('sqlite engine: a new events table is written in place', () => {
  it('loads straight into the table (no staging table) and still ranks duplicates', async () => {
    const { StorageEngine } = await import('../../src/index.js');
    await using storage = await StorageEngine.inMemory({ backend: 'sqlite' });
    let tablesDuringLoad: string[] = [];
    async function* events() {
      for (let i = 0; i < 1000; i++) {
        if (i === 500) {
          // One connection in memory: the open transaction's tables are visible to this query.
          const { rows } = await storage.executeRows(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
          );
          tablesDuringLoad = rows.map((row) => String(row[0]));
        }
        const repeat = i >= 990; // the last ten repeat earlier ids, processed later: they win
        yield {
          event_name: 'e',
          event_time: 1717236000000,
          distinct_id: 'u',
          insert_id: `id-${repeat ? i - 990 : i}`,
          properties: { i, mp_processing_time_ms: repeat ? 2 : 1 },
        };
      }
    }
    expect(await storage.createEventsTable('events', events(), { type: 'events' })).toBe(990);
    expect(tablesDuringLoad.filter((name) => name.startsWith('_mp_'))).toEqual([]);
    expect(tablesDuringLoad).toContain('events');
    const { rows } = await storage.executeRows(
      "SELECT insert_id, properties ->> 'i' FROM events WHERE insert_id IN ('id-0', 'id-3', 'id-9', 'id-10') ORDER BY insert_id",
    );
    expect(rows).toEqual([
      ['id-0', 990],
      ['id-10', 10],
      ['id-3', 993],
      ['id-9', 999],
    ]);
  });
});
