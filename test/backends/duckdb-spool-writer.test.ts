import { readdirSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import type { ColumnDef, WriteValue } from '../../src/backend/column-types.js';
import { duckdbDialect } from '../../src/backends/duckdb/duckdb-dialect.js';
import { appendThroughSpool } from '../../src/backends/duckdb/duckdb-spool-writer.js';
import { appendWithAppender } from '../../src/backends/duckdb/duckdb-table-writer.js';
import { createTableSql } from '../../src/engine/statements.js';
import { AbortedError, StorageEngine } from '../../src/index.js';
import { tempDir } from '../support/temp-dir.js';

// The spool is DuckDB's bulk path for large appends: rows become tab-separated text that DuckDB's
// CSV reader loads. It must store exactly what the Appender stores, for every value a row can hold.
const COLUMNS: ColumnDef[] = [
  { name: 's', type: 'string' },
  { name: 'j', type: 'json' },
  { name: 't', type: 'timestamp' },
  { name: 'i', type: 'int64' },
  { name: 'f', type: 'float64' },
  { name: 'b', type: 'boolean' },
  { name: 'd', type: 'date' },
  { name: 'n', type: 'int64', notNull: true },
];

const HUGE = JSON.stringify({ blob: 'x'.repeat(3_000_000) }); // over DuckDB's default 2 MB line limit

function tricky(): WriteValue[][] {
  const rows: WriteValue[][] = [
    [
      'plain',
      '{"a":1}',
      new Date(Date.UTC(2024, 5, 1, 12, 30, 45, 123)),
      1n,
      1.5,
      true,
      new Date(Date.UTC(2024, 0, 2)),
      0,
    ],
    [
      'tab\there',
      '{"big":123456789012345678901234567890,"e":1e+21}',
      0,
      9007199254740993n,
      Number.POSITIVE_INFINITY,
      false,
      0,
      1,
    ],
    [
      'line\nbreak\r\n',
      '{\n  "pretty": [1, 2]\n}',
      -86_400_000,
      -9223372036854775808n,
      Number.NaN,
      null,
      -1,
      2,
    ],
    [
      '\u0001starts with the escape mark',
      null,
      '2024-06-01T00:00:00Z',
      9223372036854775807n,
      -0.000001,
      true,
      '2024-02-29',
      3,
    ],
    ['\u0002', '{"u":"é 😀 \\u2028","q":"a\\"b\\\\c"}', null, null, null, null, null, 4],
    ['', '[]', 1_717_243_512_000, 42, 1e300, true, 19_000 * 86_400_000, 5],
    [null, '"just a string"', new Date(-62135596800000), 0, 0, false, new Date(0), 6],
    [
      '🦆 ünïcödé \\ back\\slash "quotes" \'single\'',
      HUGE,
      253402300799999,
      -1,
      -1.25,
      true,
      2932896 * 86_400_000,
      7,
    ],
  ];
  for (let n = 8; n < 40; n++)
    rows.push([`row ${n}`, `{"n":${n}}`, n * 1000, n, n / 3, n % 2 === 0, n * 86_400_000, n]);
  return rows;
}

async function* batchesOf(rows: WriteValue[][], size: number) {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

async function open() {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  return { connection, close };
}

describe('DuckDB spool writer', () => {
  const parent = tempDir('mp-spool-test-');
  const spoolParent = tempDir('mp-spool-engine-');

  it('stores every value exactly as the Appender does, across many slices', async () => {
    const { connection, close } = await open();
    try {
      await connection.run(createTableSql(duckdbDialect, 'by_appender', COLUMNS));
      await connection.run(createTableSql(duckdbDialect, 'by_spool', COLUMNS));
      const rows = tricky();
      expect(await appendWithAppender(connection, 'by_appender', COLUMNS, batchesOf(rows, 7))).toBe(
        rows.length,
      );
      const written = await appendThroughSpool(connection, 'by_spool', COLUMNS, batchesOf(rows, 5), {
        sliceRows: 3,
        parentDirectory: parent,
      });
      expect(written).toBe(rows.length);
      const count = async (sql: string) => Number((await connection.runAndReadAll(sql)).getRows()[0]![0]);
      expect(await count('SELECT count(*) FROM by_spool')).toBe(rows.length);
      // Both directions of EXCEPT ALL are empty: the two tables hold the same multiset of rows (the
      // cast keeps NaN comparable).
      const same = (a: string, b: string) =>
        `SELECT count(*) FROM (SELECT s, CAST(j AS VARCHAR), t, i, CAST(f AS VARCHAR), b, d, n FROM ${a} ` +
        `EXCEPT ALL SELECT s, CAST(j AS VARCHAR), t, i, CAST(f AS VARCHAR), b, d, n FROM ${b})`;
      expect(await count(same('by_appender', 'by_spool'))).toBe(0);
      expect(await count(same('by_spool', 'by_appender'))).toBe(0);
      const spot = (
        await connection.runAndReadAll(
          'SELECT s, CAST(j AS VARCHAR), i FROM by_spool WHERE n IN (1, 2, 3, 4) ORDER BY n',
        )
      ).getRows();
      expect(spot).toEqual([
        ['tab\there', '{"big":123456789012345678901234567890,"e":1e+21}', 9007199254740993n],
        ['line\nbreak\r\n', '{\n  "pretty": [1, 2]\n}', -9223372036854775808n],
        ['\u0001starts with the escape mark', null, 9223372036854775807n],
        ['\u0002', '{"u":"é 😀 \\u2028","q":"a\\"b\\\\c"}', null],
      ]);
      expect(await count('SELECT length(CAST(j AS VARCHAR)) FROM by_spool WHERE n = 7')).toBe(HUGE.length);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      close();
    }
  });

  it('sets the memory limit before each slice (room for its reader buffers) and restores it after; failures do not fail the append', async () => {
    const { connection, close } = await open();
    try {
      await connection.run(createTableSql(duckdbDialect, 't', COLUMNS));
      const calls: string[] = [];
      const written = await appendThroughSpool(connection, 't', COLUMNS, batchesOf(tricky(), 4), {
        sliceRows: 15,
        parentDirectory: parent,
        memory: {
          beforeLoad: async (minimumBytes) => {
            calls.push(`before ${Math.round(minimumBytes / 2 ** 20)}MiB`);
            throw new Error('set failed');
          },
          afterLoads: async () => {
            calls.push('after');
            throw new Error('reset failed');
          },
        },
      });
      expect(written).toBe(40);
      // Slices of 15, 15 and 10 rows; the reader's buffer is at least 16 MB: room for four, 64 MiB.
      expect(calls).toEqual(['before 64MiB', 'before 64MiB', 'before 64MiB', 'after']);
      expect((await connection.runAndReadAll('SELECT count(*) FROM t')).getRows()[0]![0]).toBe(40n);
      // A 12 MB row needs buffers of twice its size: the room asked for follows it.
      const sizes: number[] = [];
      const big: WriteValue[] = [
        'big',
        JSON.stringify({ blob: 'b'.repeat(12_000_000) }),
        0,
        0,
        0,
        true,
        0,
        99,
      ];
      await appendThroughSpool(connection, 't', COLUMNS, batchesOf([big], 1), {
        parentDirectory: parent,
        memory: { beforeLoad: async (bytes) => void sizes.push(bytes), afterLoads: async () => undefined },
      });
      expect(sizes).toHaveLength(1);
      expect(sizes[0]).toBeGreaterThan(4 * 2 * 12_000_000);
    } finally {
      close();
    }
  });

  it('loads JavaScript records at 128MiB unless a limit is configured, and restores the limit after', async () => {
    const seen = async (settings: Record<string, string>) => {
      await using storage = await StorageEngine.inMemory({ settings });
      let during = '';
      async function* events() {
        for (let i = 0; i < 450_000; i++) {
          // The second slice is encoded while the first loads under the spool's limit.
          if (i === 300_000)
            during = String(await storage.executeScalar("SELECT current_setting('memory_limit')"));
          yield { event_name: 'e', event_time: i, distinct_id: 'u', insert_id: `i${i}` };
        }
      }
      expect(await storage.createEventsTable('events', events(), { type: 'events' })).toBe(450_000);
      return { during, after: String(await storage.executeScalar("SELECT current_setting('memory_limit')")) };
    };
    const byDefault = await seen({});
    expect(byDefault.during).toBe('128.0 MiB');
    expect(byDefault.after).not.toBe('128.0 MiB'); // DuckDB's own default again once the write ends
    const configured = await seen({ bulk_memory_limit: '512MB' });
    expect(configured.during).toBe('488.2 MiB'); // 512 MB, as DuckDB prints it: the user's limit stays
  });

  it('joins the open transaction: ROLLBACK discards every loaded slice', async () => {
    const { connection, close } = await open();
    try {
      await connection.run(createTableSql(duckdbDialect, 't', COLUMNS));
      await connection.run('BEGIN');
      expect(
        await appendThroughSpool(connection, 't', COLUMNS, batchesOf(tricky(), 4), {
          sliceRows: 10,
          parentDirectory: parent,
        }),
      ).toBe(40);
      await connection.run('ROLLBACK');
      expect((await connection.runAndReadAll('SELECT count(*) FROM t')).getRows()[0]![0]).toBe(0n);
    } finally {
      close();
    }
  });

  it('reports a failing slice and removes its files', async () => {
    const { connection, close } = await open();
    try {
      await connection.run(createTableSql(duckdbDialect, 't', COLUMNS));
      const rows = tricky();
      rows[25] = ['bad', null, null, null, null, null, null, null]; // n is NOT NULL
      await expect(
        appendThroughSpool(connection, 't', COLUMNS, batchesOf(rows, 4), {
          sliceRows: 10,
          parentDirectory: parent,
        }),
      ).rejects.toThrow(/NOT NULL/i);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      close();
    }
  });

  it('stops on abort between batches, runs the source clean-up and leaves no files', async () => {
    const { connection, close } = await open();
    try {
      await connection.run(createTableSql(duckdbDialect, 't', COLUMNS));
      const controller = new AbortController();
      let cleanedUp = false;
      async function* source() {
        try {
          for (let i = 0; ; i++) {
            if (i === 5) controller.abort();
            yield tricky().slice(8);
          }
        } finally {
          cleanedUp = true;
        }
      }
      await expect(
        appendThroughSpool(connection, 't', COLUMNS, source(), {
          sliceRows: 40,
          signal: controller.signal,
          parentDirectory: parent,
        }),
      ).rejects.toBeInstanceOf(AbortedError);
      expect(cleanedUp).toBe(true);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      close();
    }
  });

  it('is the engine path for large sources: dedup, big ids and atomicity hold', async () => {
    await using storage = await StorageEngine.inMemory();
    const events = function* (count: number, failAt?: number) {
      for (let i = 0; i < count; i++) {
        if (i === failAt) throw new Error('source broke');
        yield {
          event_name: i % 2 ? 'Purchase' : 'Sign Up',
          event_time: Date.UTC(2024, 0, 1) + i * 1000,
          distinct_id: `user\t${i % 100}`,
          insert_id: `id-${i % 30_000}`,
          properties: { account: 3928097563762691601n + BigInt(i), mp_processing_time_ms: i },
        };
      }
    };
    // 60,000 events whose ids repeat every 30,000: the repeats differ in time, so all are kept.
    expect(await storage.createEventsTable('events', events(60_000), { type: 'events' })).toBe(60_000);
    const { rows } = await storage.executeRows(
      "SELECT count(DISTINCT distinct_id), max(CAST(properties->>'account' AS UBIGINT)) FROM events",
    );
    expect(rows).toEqual([[100, 3928097563762751600n]]);
    // Repeats within the source with the same key: the copy with the newest processing time wins.
    const again = [...events(40_000)].map((e, i) =>
      i >= 35_000 ? { ...events(1).next().value!, properties: { v: i, mp_processing_time_ms: i } } : e,
    );
    expect(await storage.createEventsTable('dups', again, { type: 'events' })).toBe(35_000); // event 0 and its 5,000 copies are one row
    expect(
      await storage.executeScalar(
        "SELECT properties->>'v' FROM dups WHERE insert_id = 'id-0' ORDER BY event_time LIMIT 1",
      ),
    ).toBe('39999');
    await expect(
      storage.createEventsTable('broken', events(60_000, 45_000), { type: 'events' }),
    ).rejects.toThrow('source broke');
    expect(await storage.tableExists('broken')).toBe(false);
  });

  it('writes a new events table in place across the Appender head and the spool slices, ranking duplicates in source order', async () => {
    await using storage = await StorageEngine.inMemory();
    // 230,000 events: the first 20,000 go through the Appender, then slices of 200,000 and 10,000.
    // Every id appears twice, 115,000 events apart, with the same key: the later copy wins a tie,
    // and the earlier one wins where its processing time is higher (ids divisible by 1,000).
    function* events() {
      for (let i = 0; i < 230_000; i++) {
        const id = i % 115_000;
        const late = i >= 115_000;
        yield {
          event_name: 'e',
          event_time: Date.UTC(2024, 0, 1) + id * 1000,
          distinct_id: 'u',
          insert_id: `id-${id}`,
          properties: {
            copy: late ? 'late' : 'early',
            mp_processing_time_ms: id % 1000 === 0 && !late ? 2 : 1,
          },
        };
      }
    }
    expect(await storage.createEventsTable('events', events(), { type: 'events' })).toBe(115_000);
    const copies = await storage.executeRows(
      "SELECT properties->>'copy' AS copy, count(*) FROM events GROUP BY copy ORDER BY copy",
    );
    expect(copies.rows).toEqual([
      ['early', 115],
      ['late', 114_885],
    ]);
    // Ties across the Appender head and the first slice (5, 19999), within the first slice (20001),
    // across the two slices (105001); and an early winner by processing time (7000).
    const { rows } = await storage.executeRows(
      "SELECT insert_id, properties->>'copy' FROM events WHERE insert_id IN ('id-5', 'id-19999', 'id-20001', 'id-105001', 'id-7000') ORDER BY insert_id",
    );
    expect(rows).toEqual([
      ['id-105001', 'late'],
      ['id-19999', 'late'],
      ['id-20001', 'late'],
      ['id-5', 'late'],
      ['id-7000', 'early'],
    ]);
    expect((await storage.getMetadata('events')).rowCount).toBe(115_000);
  });

  it('sources of exactly 20,000 rows and one more are stored whole', async () => {
    await using storage = await StorageEngine.inMemory();
    const events = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        event_name: 'e',
        event_time: i,
        distinct_id: 'u',
        insert_id: `i${i}`,
      }));
    expect(await storage.createEventsTable('exact', events(20_000), { type: 'events' })).toBe(20_000);
    expect(await storage.createEventsTable('more', events(20_001), { type: 'events' })).toBe(20_001);
    expect(await storage.executeScalar('SELECT count(DISTINCT insert_id) FROM more')).toBe(20_001);
  });

  it('spools under temp_directory when set, and an abort mid-source leaves nothing behind', async () => {
    await using storage = await StorageEngine.inMemory({ settings: { temp_directory: spoolParent } });
    const controller = new AbortController();
    let seenSpool: string[] = [];
    function* events() {
      for (let i = 0; i < 300_000; i++) {
        if (i === 250_000) {
          seenSpool = readdirSync(spoolParent).filter((n) => n.startsWith('mp-append-'));
          controller.abort();
        }
        yield { event_name: 'e', event_time: i, distinct_id: 'u', insert_id: `i${i}`, properties: { i } };
      }
    }
    await expect(
      storage.createEventsTable('aborted', events(), { type: 'events' }, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(seenSpool).toHaveLength(1); // the spool lived under temp_directory
    expect(readdirSync(spoolParent).filter((n) => n.startsWith('mp-append-'))).toEqual([]);
    expect(await storage.tableExists('aborted')).toBe(false);
    expect(await storage.listTables()).toEqual([]);
  });
});
