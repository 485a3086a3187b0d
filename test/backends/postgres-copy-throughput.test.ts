/**
 * COPY throughput for event-shaped rows. A measurement, not an assertion on speed: it runs only with
 * MP_PG_BENCH=1 (MP_PG_BENCH_ROWS to change the row count) and prints rows/s to stderr.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackendConnection } from '../../src/backend/backend.js';
import type { ColumnDef, WriteValue } from '../../src/backend/column-types.js';
import { postgresBackend } from '../../src/backends/postgres/index.js';
import { createTestDatabase, dropTestDatabase } from '../support/postgres-server.js';

const pgUrl = inject('pgUrl');
const skipReason = inject('pgSkipReason');
if (!pgUrl) console.warn(`[skip] ${import.meta.url.split('/').pop()}: ${skipReason}`);
const enabled = process.env.MP_PG_BENCH === '1';
const ROWS = Number(process.env.MP_PG_BENCH_ROWS ?? 1_000_000);

const COLUMNS: ColumnDef[] = [
  { name: 'event_name', type: 'string', notNull: true },
  { name: 'distinct_id', type: 'string', notNull: true },
  { name: 'event_time', type: 'timestamp', notNull: true },
  { name: 'insert_id', type: 'string' },
  { name: 'properties', type: 'json' },
];

const NAMES = ['Page View', 'Sign Up', 'Purchase', 'Add To Cart', 'Search'];

async function* eventBatches(total: number, size: number): AsyncGenerator<WriteValue[][]> {
  const t0 = Date.UTC(2024, 0, 1);
  for (let start = 0; start < total; start += size) {
    const batch: WriteValue[][] = [];
    for (let i = start; i < Math.min(total, start + size); i++) {
      batch.push([
        NAMES[i % NAMES.length]!,
        `user-${i % 50_000}`,
        new Date(t0 + i * 37),
        `ins-${i.toString(36)}-${(i * 7919).toString(36)}`,
        // ~150 bytes of JSON, as a Mixpanel event's properties typically are (or more)
        JSON.stringify({
          $browser: 'Chrome',
          $city: 'San Francisco',
          $os: 'Mac OS X',
          plan: i % 3 === 0 ? 'pro' : 'free',
          amount: (i % 1000) / 10,
          utm_source: 'newsletter',
          n: i,
        }),
      ]);
    }
    yield batch;
  }
}

describe.skipIf(!pgUrl)(`postgres COPY throughput${pgUrl ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dbUrl = '';
  let connection: BackendConnection;

  beforeAll(async () => {
    if (!enabled) return;
    dbUrl = await createTestDatabase(pgUrl);
    connection = await postgresBackend.open({
      mode: 'persistent',
      readOnly: false,
      settings: { url: { value: dbUrl, source: 'option' } },
    });
  });

  afterAll(async () => {
    await connection?.close();
    if (dbUrl) await dropTestDatabase(dbUrl);
  });

  it.skipIf(!enabled)(
    `appends ${ROWS} event rows through COPY (set MP_PG_BENCH=1 to run)`,
    { timeout: 600_000 },
    async () => {
      await connection.run(
        'CREATE TABLE events (event_name TEXT NOT NULL, distinct_id TEXT NOT NULL, event_time TIMESTAMP NOT NULL, insert_id TEXT, properties JSONB)',
      );
      const heapBefore = process.memoryUsage().rss;
      const started = performance.now();
      const written = await connection.appendRows('events', COLUMNS, eventBatches(ROWS, 10_000));
      const seconds = (performance.now() - started) / 1000;
      expect(written).toBe(ROWS);
      expect((await connection.query('SELECT count(*) FROM events')).rows).toEqual([[ROWS]]);
      const bytes = Number((await connection.query("SELECT pg_total_relation_size('events')")).rows[0]![0]);
      const rss = (process.memoryUsage().rss - heapBefore) / 1024 / 1024;
      process.stderr.write(
        `[postgres bench] COPY ${ROWS} event rows in ${seconds.toFixed(2)} s = ${Math.round(ROWS / seconds)} rows/s; ` +
          `table ${(bytes / 1024 / 1024).toFixed(0)} MiB; RSS growth ${rss.toFixed(0)} MiB\n`,
      );
    },
  );
});
