// One ingestion measurement in its own process, so peak RSS belongs to that case alone.
// Usage: node bench/ingest-case.js CASE ROWS [BACKEND]   → prints one JSON line.
//   engine   StorageEngine.createEventsTable from an async generator (the product's path)
//   seed     seed 002's design: prepared INSERT of 1000-row batches (executemany equivalent)
//   readjson DuckDB's own read_json over the same events written to a JSONL file (the ceiling)
//   appender / spool  DuckDB's two bulk paths alone: the engine's row builder feeding the Appender
//            (the engine's path for small sources) or the spool + read_csv (its path for large
//            ones) into a staging table, in one transaction, without dedup or promotion
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../dist/backends/duckdb/duckdb-dialect.js';
import { appendThroughSpool } from '../dist/backends/duckdb/duckdb-spool-writer.js';
import { appendWithAppender } from '../dist/backends/duckdb/duckdb-table-writer.js';
import { EventRowBuilder } from '../dist/engine/event-rows.js';
import { recordBatches } from '../dist/engine/record-batches.js';
import { createTableSql } from '../dist/engine/statements.js';
import { EVENT_STAGING_COLUMNS } from '../dist/engine/table-schemas.js';
import { StorageEngine } from '../dist/index.js';
import { mixpanelEvents } from './mixpanel-events.js';
import { timeReadJsonLoad } from './read-json-ceiling.js';

const [kind, rowsText, backend = 'duckdb'] = process.argv.slice(2);
const rows = Number(rowsText);
const dir = mkdtempSync(join(tmpdir(), 'mp-bench-'));
let peakRss = process.memoryUsage().rss;
const extra = {};
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > peakRss && process.env.MP_BENCH_DEBUG)
    console.error(
      JSON.stringify({
        rss: m.rss >> 20,
        heapTotal: m.heapTotal >> 20,
        heapUsed: m.heapUsed >> 20,
        external: m.external >> 20,
      }),
    );
  peakRss = Math.max(peakRss, m.rss);
}, 20);

/**
 * The true peak RSS of this process (Linux VmHWM). The timer sampler misses peaks inside long
 * synchronous stretches, when timers cannot fire; it remains the fallback elsewhere.
 */
function highWaterMb() {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    if (kb > 0) return Math.round(kb / 1024);
  } catch {}
  return Math.round(peakRss / 1048576);
}

const QUERIES = {
  countPerEventPerDayMs:
    'SELECT event_name, substr(CAST(event_time AS TEXT), 1, 10) AS day, count(*) AS n FROM events GROUP BY 1, 2',
  jsonGroupByMs:
    "SELECT properties->>'plan' AS plan, count(*) AS n, count(DISTINCT distinct_id) AS users FROM events GROUP BY 1",
  distinctUsersMs: 'SELECT count(DISTINCT distinct_id) FROM events',
  funnelMs:
    "WITH s AS (SELECT distinct_id, min(event_time) AS t FROM events WHERE event_name = 'Sign Up' GROUP BY 1), " +
    "p AS (SELECT distinct_id, max(event_time) AS t FROM events WHERE event_name = 'Purchase' GROUP BY 1) " +
    'SELECT count(*) FROM s JOIN p ON p.distinct_id = s.distinct_id WHERE p.t > s.t',
};

async function* asyncEvents(n) {
  yield* mixpanelEvents(n);
}

async function engineCase() {
  const settings =
    backend === 'postgres'
      ? { url: process.env.MP_BENCH_PG_URL, schema: `bench_${process.pid}` }
      : backend === 'duckdb' && process.env.MP_BENCH_MEMORY_LIMIT
        ? { memory_limit: process.env.MP_BENCH_MEMORY_LIMIT }
        : {};
  const storage = await StorageEngine.open({ backend, path: join(dir, `bench.${backend}`), settings });
  const start = performance.now();
  const stored = await storage.createEventsTable('events', asyncEvents(rows), { type: 'events' });
  const seconds = (performance.now() - start) / 1000;
  extra.ingestPeakRssMb = highWaterMb();
  // Issue 7's query suite on the ingested table, median of three runs each. Plain SQL that runs
  // unchanged on all three engines (day = the first 10 characters of the timestamp's text).
  for (const [key, sql] of Object.entries(QUERIES)) {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await storage.executeRows(sql);
      runs.push(performance.now() - t);
    }
    runs.sort((a, b) => a - b);
    extra[key] = Math.round(runs[1]);
  }
  if (process.env.MP_BENCH_FILES !== '0') {
    const parquet = join(dir, 'events.parquet');
    let t = performance.now();
    await storage.exportTable('events', { path: parquet, format: 'parquet' });
    extra.exportParquetRowsPerSecond = Math.round(stored / ((performance.now() - t) / 1000));
    t = performance.now();
    const imported = await storage.importFile('events_copy', parquet, { type: 'events', sidecar: false });
    extra.importParquetRowsPerSecond = Math.round(imported.rowsRead / ((performance.now() - t) / 1000));
  }
  if (backend === 'postgres') await storage.execute(`DROP SCHEMA "bench_${process.pid}" CASCADE`);
  await storage.close();
  return { stored, seconds };
}

async function seedCase() {
  const instance = await DuckDBInstance.create(join(dir, 'seed.db'));
  const c = await instance.connect();
  await c.run(
    'CREATE TABLE events (event_name VARCHAR NOT NULL, event_time TIMESTAMP NOT NULL, distinct_id VARCHAR NOT NULL, insert_id VARCHAR PRIMARY KEY, properties JSON)',
  );
  const batchSize = 1000;
  const values = Array.from(
    { length: batchSize },
    (_, r) =>
      `($${r * 5 + 1}, to_timestamp($${r * 5 + 2}::DOUBLE / 1000)::TIMESTAMP, $${r * 5 + 3}, $${r * 5 + 4}, $${r * 5 + 5})`,
  );
  const prepared = await c.prepare(`INSERT INTO events VALUES ${values.join(', ')}`);
  const start = performance.now();
  let batch = [];
  let stored = 0;
  for await (const e of asyncEvents(rows)) {
    batch.push(
      e.event_name,
      e.event_time,
      e.distinct_id,
      e.insert_id,
      JSON.stringify(e.properties, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    if (batch.length === batchSize * 5) {
      prepared.bind(batch);
      await prepared.run();
      stored += batchSize;
      batch = [];
    }
  }
  const seconds = (performance.now() - start) / 1000;
  c.closeSync();
  instance.closeSync();
  return { stored, seconds };
}

async function readJsonCase() {
  const path = join(dir, 'events.jsonl');
  const lines = [];
  for (const e of mixpanelEvents(rows)) {
    lines.push(
      JSON.stringify({ ...e, event_time: new Date(e.event_time).toISOString() }, (_k, v) =>
        typeof v === 'bigint' ? v.toString() : v,
      ),
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  lines.length = 0;
  return timeReadJsonLoad(path, join(dir, 'ceiling.db'));
}

function bulkPathCase(append) {
  return async () => {
    const instance = await DuckDBInstance.create(join(dir, 'bulk.db'));
    const c = await instance.connect();
    await c.run(createTableSql(duckdbDialect, 'staging', EVENT_STAGING_COLUMNS));
    const builder = new EventRowBuilder();
    const start = performance.now();
    await c.run('BEGIN');
    const batches = recordBatches(asyncEvents(rows), (e) => builder.build(e), { read: 0 }, {});
    const stored = await append(c, 'staging', EVENT_STAGING_COLUMNS, batches);
    await c.run('COMMIT');
    const seconds = (performance.now() - start) / 1000;
    c.closeSync();
    instance.closeSync();
    return { stored, seconds };
  };
}

const cases = {
  engine: engineCase,
  seed: seedCase,
  readjson: readJsonCase,
  appender: bulkPathCase(appendWithAppender),
  spool: bulkPathCase(appendThroughSpool),
};
try {
  const { stored, seconds } = await cases[kind]();
  clearInterval(sampler);
  console.log(
    JSON.stringify({
      case: kind,
      backend,
      rows,
      stored,
      seconds,
      rowsPerSecond: Math.round(stored / seconds),
      peakRssMb: highWaterMb(),
      ...extra,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
