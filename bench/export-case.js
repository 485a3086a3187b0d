// One export measurement in its own process, so peak RSS belongs to that export alone.
// Usage: node bench/export-case.js FORMAT ROWS [BACKEND]   → prints one JSON line.
//   FORMAT   parquet | csv | jsonl
//   BACKEND  duckdb (default) | sqlite | postgres (needs MP_BENCH_PG_URL)
// The events table is filled by a child process first (`--prepare`), so the export process starts
// with an engine that has not just ingested: its RSS growth is the export's own. Memory is sampled
// every 20 ms; a flat peak across 100k and 1M rows is what "constant memory" means here.
// MP_BENCH_DIST overrides the built library (default ../dist/index.js); MP_BENCH_MEMORY_LIMIT sets
// DuckDB's memory_limit.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixpanelEvents } from './mixpanel-events.js';

const dist = process.env.MP_BENCH_DIST ?? '../dist/index.js';
const { StorageEngine } = await import(dist);

function openOptions(backend, path, schema) {
  if (backend === 'postgres') return { backend, settings: { url: process.env.MP_BENCH_PG_URL, schema } };
  // DuckDB caches the blocks it scans up to memory_limit (default 80% of RAM): that cache, not the
  // export, is what grows with the table; MP_BENCH_MEMORY_LIMIT bounds it.
  const limit = backend === 'duckdb' ? process.env.MP_BENCH_MEMORY_LIMIT : undefined;
  return { backend, path, ...(limit ? { settings: { memory_limit: limit } } : {}) };
}

if (process.argv[2] === '--prepare') {
  const [, , , rowsText, backend, path, schema] = process.argv;
  const storage = await StorageEngine.open(openOptions(backend, path, schema));
  async function* events() {
    yield* mixpanelEvents(Number(rowsText));
  }
  await storage.createEventsTable('events', events(), { type: 'events' });
  await storage.close();
  process.exit(0);
}

const [format, rowsText, backend = 'duckdb'] = process.argv.slice(2);
const rows = Number(rowsText);
const dir = mkdtempSync(join(tmpdir(), 'mp-bench-export-'));
const dbPath = join(dir, `bench.${backend}`);
const schema = `bench_export_${process.pid}`;
if (backend === 'postgres' && !process.env.MP_BENCH_PG_URL) throw new Error('postgres needs MP_BENCH_PG_URL');

try {
  const prepared = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--prepare', String(rows), backend, dbPath, schema],
    { stdio: ['ignore', 'ignore', 'inherit'], env: process.env },
  );
  if (prepared.status !== 0) throw new Error(`preparing ${rows} rows failed (exit ${prepared.status})`);

  const storage = await StorageEngine.open(openOptions(backend, dbPath, schema));
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const out = join(dir, `events.${format}`);
  const start = performance.now();
  const result = await storage.exportTable('events', { path: out, format });
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (backend === 'postgres') await storage.execute(`DROP SCHEMA "${schema}" CASCADE`);
  await storage.close();
  console.log(
    JSON.stringify({
      case: 'export',
      format,
      backend,
      rows,
      exported: result.rows,
      method: result.method,
      seconds: +seconds.toFixed(2),
      rowsPerSecond: Math.round(result.rows / seconds),
      rssBeforeMb: Math.round(rssBefore / 1048576),
      peakRssMb: Math.round(peakRss / 1048576),
      fileMb: +(statSync(out).size / 1048576).toFixed(1),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
