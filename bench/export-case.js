// Export measurements, each export in its own process so its peak RSS is its own.
// Usage: node bench/export-case.js FORMATS ROWS [BACKEND]   → prints one JSON line per format.
//   FORMATS  parquet | csv | jsonl, or a comma-separated list (the table is filled once for all)
//   BACKEND  duckdb (default) | sqlite | postgres (needs MP_BENCH_PG_URL)
// The events table is filled by a child process first (`--prepare`), so no export process has just
// ingested; each format is then exported by a fresh child (`--export`). Peak RSS is the kernel's
// high-water mark (VmHWM in /proc/self/status), reset just before the export (`clear_refs` 5), so it
// is the export's true peak even when synchronous loops keep timers from sampling. A flat peak across
// 1M and 3M rows is what "constant memory" means here.
// MP_BENCH_DIST overrides the built library (default ../dist/index.js); MP_BENCH_MEMORY_LIMIT sets
// DuckDB's memory_limit.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixpanelEvents } from './mixpanel-events.js';

const dist = process.env.MP_BENCH_DIST ?? '../dist/index.js';
const { StorageEngine } = await import(dist);
const self = fileURLToPath(import.meta.url);

function openOptions(backend, path, schema) {
  if (backend === 'postgres') return { backend, settings: { url: process.env.MP_BENCH_PG_URL, schema } };
  // DuckDB caches the blocks it scans up to memory_limit (default 80% of RAM): that cache, not the
  // export, is what grows with the table; MP_BENCH_MEMORY_LIMIT bounds it.
  const limit = backend === 'duckdb' ? process.env.MP_BENCH_MEMORY_LIMIT : undefined;
  return { backend, path, ...(limit ? { settings: { memory_limit: limit } } : {}) };
}

/** VmRSS / VmHWM of this process in MB. */
function memoryMb(key) {
  const match = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : null;
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where that is not allowed. */
function resetPeak() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
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

if (process.argv[2] === '--export') {
  const [, , , format, backend, path, schema, out] = process.argv;
  const storage = await StorageEngine.open(openOptions(backend, path, schema));
  globalThis.gc?.();
  const rssBeforeMb = memoryMb('VmRSS');
  const peakReset = resetPeak();
  const start = performance.now();
  const result = await storage.exportTable('events', { path: out, format });
  const seconds = (performance.now() - start) / 1000;
  const peakRssMb = memoryMb('VmHWM');
  await storage.close();
  console.log(
    JSON.stringify({
      method: result.method,
      exported: result.rows,
      seconds: +seconds.toFixed(2),
      rowsPerSecond: Math.round(result.rows / seconds),
      rssBeforeMb,
      peakRssMb,
      peakReset,
      fileMb: +(statSync(out).size / 1048576).toFixed(1),
    }),
  );
  process.exit(0);
}

const [formats, rowsText, backend = 'duckdb'] = process.argv.slice(2);
const rows = Number(rowsText);
const dir = mkdtempSync(join(tmpdir(), 'mp-bench-export-'));
const dbPath = join(dir, `bench.${backend}`);
const schema = `bench_export_${process.pid}`;
if (backend === 'postgres' && !process.env.MP_BENCH_PG_URL) throw new Error('postgres needs MP_BENCH_PG_URL');

function child(args) {
  const run = spawnSync(process.execPath, ['--expose-gc', self, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`${args[0]} failed (exit ${run.status})`);
  return run.stdout;
}

try {
  child(['--prepare', String(rows), backend, dbPath, schema]);
  for (const format of formats.split(',')) {
    const out = join(dir, `events.${format}`);
    const measured = JSON.parse(child(['--export', format, backend, dbPath, schema, out]).trim());
    console.log(JSON.stringify({ case: 'export', format, backend, rows, ...measured }));
    rmSync(out, { force: true });
  }
} finally {
  if (backend === 'postgres') {
    const storage = await StorageEngine.open(openOptions(backend, dbPath, schema));
    await storage.execute(`DROP SCHEMA "${schema}" CASCADE`);
    await storage.close();
  }
  rmSync(dir, { recursive: true, force: true });
}
