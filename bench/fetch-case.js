// End-to-end fetch in its own process: `Workspace.fetchEvents` from the fake Mixpanel server (run as
// a separate `mp fake-server` process, gzip JSONL over loopback) into one backend.
// Usage: node bench/fetch-case.js EVENTS_PER_DAY DAYS BACKEND   → prints one JSON line.
import { spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Workspace } from '../dist/index.js';
import { runFakeServer } from '../dist/testing/index.js';

if (process.argv[2] === '--fake-server') await serveFake(process.argv.slice(3).map(Number));
const [perDayText, daysText, backend = 'duckdb'] = process.argv.slice(2);
const perDay = Number(perDayText);
const days = Number(daysText);
const dir = mkdtempSync(join(tmpdir(), 'mp-bench-fetch-'));
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

// The fake runs in its own process (this script in server mode); the clock starts when it listens.
const server = spawn(
  process.execPath,
  [fileURLToPath(import.meta.url), '--fake-server', String(perDay), String(days)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
try {
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`fake-server exited (${code})`)));
  });
  const fake = JSON.parse(first);
  const env = {
    MP_API_BASE_URL: fake.url,
    MP_USERNAME: fake.username,
    MP_SECRET: fake.secret,
    MP_PROJECT_ID: fake.projectId,
    MP_REGION: 'us',
  };
  const settings =
    backend === 'postgres'
      ? { url: process.env.MP_BENCH_PG_URL, schema: `bench_fetch_${process.pid}` }
      : backend === 'duckdb'
        ? {
            ...(process.env.MP_BENCH_MEMORY_LIMIT ? { memory_limit: process.env.MP_BENCH_MEMORY_LIMIT } : {}),
            ...(process.env.MP_BENCH_THREADS ? { threads: Number(process.env.MP_BENCH_THREADS) } : {}),
          }
        : {};
  const ws = new Workspace({ env, backend, path: join(dir, `fetch.${backend}`), settings });
  const toDate = new Date(Date.UTC(2024, 5, 1) + (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  // 5-day chunks, as in cli-fetch-case.js: one-day chunks would mostly measure Mixpanel's
  // 3 export requests per second, which the client honours.
  const result = await ws.fetchEvents({
    name: 'events',
    fromDate: '2024-06-01',
    toDate,
    parallel: true,
    workers: Number(process.env.MP_BENCH_WORKERS ?? 2),
    chunkDays: Number(process.env.MP_BENCH_CHUNK_DAYS ?? 5),
  });
  const seconds = (performance.now() - start) / 1000;
  // CPU time of this process (JavaScript, zlib and DuckDB's threads): steadier than wall time on a
  // shared machine.
  const cpu = process.cpuUsage(cpuStart);
  if (backend === 'postgres')
    await (await ws.storage()).execute(`DROP SCHEMA "bench_fetch_${process.pid}" CASCADE`);
  // Closing checkpoints DuckDB; reported apart from the fetch (the `mp fetch` process case includes it).
  const closeStart = performance.now();
  await ws.close();
  const closeSeconds = +((performance.now() - closeStart) / 1000).toFixed(2);
  // run.js keeps the 1M DuckDB fetch's database for fetch-ceiling-case.js (the same events).
  if (process.env.MP_BENCH_KEEP_DB) renameSync(join(dir, `fetch.${backend}`), process.env.MP_BENCH_KEEP_DB);
  clearInterval(sampler);
  console.log(
    JSON.stringify({
      case: 'fetch',
      backend,
      rows: result.rowsStored + result.duplicatesSkipped,
      stored: result.rowsStored,
      failedChunks: result.failedChunks,
      seconds,
      rowsPerSecond: Math.round((result.rowsStored + result.duplicatesSkipped) / seconds),
      cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
      closeSeconds,
      peakRssMb: Math.round(peakRss / 1048576),
    }),
  );
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Server mode: `mp fake-server --seed 3` with the export cache, which `mp fake-server` has no flag
 * for. Real Mixpanel does not share our CPU; with `precompute` (the default here) every day is
 * generated and gzipped before the server listens, so serving an export is a memory copy and the
 * fetch measures the client and the database. `MP_BENCH_FAKE_CACHE=off` measures the generating fake.
 */
async function serveFake([eventsPerDay, dayCount]) {
  const { fake, line } = await runFakeServer({
    seed: 3,
    eventsPerDay,
    days: dayCount,
    exportCache: process.env.MP_BENCH_FAKE_CACHE ?? 'precompute',
  });
  process.stdout.write(`${line}\n`);
  await new Promise((resolve) => process.once('SIGTERM', resolve));
  await fake.close();
  process.exit(0);
}
