// `npm run bench`: ingestion benchmarks measured side by side in ONE run (machines are noisy, so
// ratios between cases of the same run are what count; nothing here is a pass/fail threshold).
// Each case runs in its own process so its peak RSS is its own.
//
//   node bench/run.js            1M events per case, plus a 5M DuckDB run for RSS scaling
//   node bench/run.js --quick    100k events per case, 500k for scaling
//
// Writes bench/results/latest.json and prints a table. PostgreSQL runs when MP_BENCH_PG_URL is set
// or the PostgreSQL server binaries are installed (a throwaway cluster is started, as in the tests).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const rows = quick ? 100_000 : 1_000_000;
const scaleRows = quick ? 500_000 : 5_000_000;
// The seed's design runs ~8k rows/s here: 1M rows would take two minutes, so it gets a tenth.
const seedRows = Math.max(10_000, Math.round(rows / 10));

function runCase(kind, n, backend, env = {}) {
  return runScript('ingest-case.js', [kind, String(n), backend], { case: kind, backend, rows: n }, env);
}

/** Fetch cases take events per day over 30 days; `n` is the target total. */
function runFetch(script, n, backend, env = {}) {
  const perDay = String(Math.ceil(n / 30));
  const args = script === 'fetch-case.js' ? [perDay, '30', backend] : [perDay, '30'];
  return runScript(script, args, { case: script.replace('-case.js', ''), backend, rows: n }, env);
}

function runScript(script, args, label, env = {}) {
  process.stderr.write(`… ${label.case} ${label.backend} ${label.rows.toLocaleString()} rows\n`);
  const out = spawnSync(process.execPath, ['--expose-gc', join(here, script), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (out.status !== 0) {
    process.stderr.write(out.stderr);
    return { ...label, error: `exit ${out.status}` };
  }
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

async function postgresUrl() {
  if (process.env.MP_BENCH_PG_URL) return { url: process.env.MP_BENCH_PG_URL, stop: async () => {} };
  const build = join(here, '.build');
  try {
    execFileSync(
      process.execPath,
      [
        join(here, '../node_modules/typescript/bin/tsc'),
        join(here, '../test/support/postgres-server.ts'),
        '--outDir',
        build,
        '--module',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        '--types',
        'node',
      ],
      { stdio: 'ignore' },
    );
    const pgServer = await import(join(build, 'postgres-server.js'));
    const binaries = pgServer.findPostgresBinaries();
    if (!binaries) return null;
    const server = await pgServer.startPostgresServer(binaries);
    return { url: server.url, stop: () => server.stop() };
  } catch (error) {
    process.stderr.write(`PostgreSQL benchmark skipped: ${error.message}\n`);
    return null;
  }
}

const results = [];
results.push(runCase('readjson', rows, 'duckdb'));
results.push(runCase('engine', rows, 'duckdb'));
results.push(runCase('seed', seedRows, 'duckdb'));
results.push(runCase('appender', rows, 'duckdb'));
results.push(runCase('spool', rows, 'duckdb'));
results.push(runCase('engine', rows, 'sqlite'));
// The 1M DuckDB fetch keeps its database: its events, written to JSONL, give the same-data ceiling.
const kept = mkdtempSync(join(tmpdir(), 'mp-bench-kept-'));
try {
  const keptDb = join(kept, 'fetch.duckdb');
  results.push(runFetch('fetch-case.js', rows, 'duckdb', { MP_BENCH_KEEP_DB: keptDb }));
  results.push(
    runScript('fetch-ceiling-case.js', [keptDb], { case: 'readjson-fetched', backend: 'duckdb', rows }),
  );
} finally {
  rmSync(kept, { recursive: true, force: true });
}
results.push(runFetch('fetch-case.js', rows, 'sqlite'));
const pg = await postgresUrl();
if (pg) {
  try {
    results.push(runCase('engine', rows, 'postgres', { MP_BENCH_PG_URL: pg.url }));
    results.push(runFetch('fetch-case.js', rows, 'postgres', { MP_BENCH_PG_URL: pg.url }));
  } finally {
    await pg.stop();
  }
} else {
  process.stderr.write('PostgreSQL benchmark skipped: no MP_BENCH_PG_URL and no server binaries.\n');
}
results.push(runFetch('cli-fetch-case.js', rows, 'duckdb'));
results.push(runCase('engine', scaleRows, 'duckdb'));
results.push(runFetch('fetch-case.js', scaleRows, 'duckdb'));

const byKey = (kind, backend, n) =>
  results.find((r) => r.case === kind && r.backend === backend && r.rows === n);
const engine = byKey('engine', 'duckdb', rows);
const ceiling = byKey('readjson', 'duckdb', rows);
const seed = byKey('seed', 'duckdb', seedRows);
const scaled = byKey('engine', 'duckdb', scaleRows);
// Fetched row counts are the fake's (about 30 × ceil(n / 30) minus late events), so pick by order.
const fetchedCeiling = results.find((r) => r.case === 'readjson-fetched' && !r.error);
const [fetch1, fetch5] = results.filter((r) => r.case === 'fetch' && r.backend === 'duckdb' && !r.error);
const ratios = {
  fetchVsReadJsonCeiling:
    fetch1 && ceiling ? +(fetch1.rowsPerSecond / ceiling.rowsPerSecond).toFixed(2) : null,
  // The same events as the fetch (the fake's, ~520 bytes a line), loaded from a local JSONL file.
  fetchVsSameDataCeiling:
    fetch1 && fetchedCeiling ? +(fetch1.rowsPerSecond / fetchedCeiling.rowsPerSecond).toFixed(2) : null,
  fetchVsSeedDesign: fetch1 && seed ? +(fetch1.rowsPerSecond / seed.rowsPerSecond).toFixed(1) : null,
  fetchTimeGrowthAtScale: fetch1 && fetch5 ? +(fetch5.seconds / fetch1.seconds).toFixed(2) : null,
  fetchRssGrowthAtScale: fetch1 && fetch5 ? +(fetch5.peakRssMb / fetch1.peakRssMb).toFixed(2) : null,
  engineVsReadJsonCeiling:
    engine && ceiling ? +(engine.rowsPerSecond / ceiling.rowsPerSecond).toFixed(2) : null,
  engineVsSeedDesign: engine && seed ? +(engine.rowsPerSecond / seed.rowsPerSecond).toFixed(1) : null,
  rssGrowthAtScale: engine && scaled ? +(scaled.peakRssMb / engine.peakRssMb).toFixed(2) : null,
  spoolVsAppender:
    byKey('spool', 'duckdb', rows) && byKey('appender', 'duckdb', rows)
      ? +(
          byKey('spool', 'duckdb', rows).rowsPerSecond / byKey('appender', 'duckdb', rows).rowsPerSecond
        ).toFixed(2)
      : null,
};
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};

const ms = (v) => (v === undefined ? '' : `${v} ms`);
console.log(
  '\ncase       backend    rows         rows/s   peak RSS | per day  JSON grp  users  funnel | parquet out/in rows/s',
);
for (const r of results) {
  if (r.error) {
    console.log(`${r.case.padEnd(10)} ${r.backend.padEnd(10)} ${String(r.rows).padStart(9)}  ${r.error}`);
    continue;
  }
  const rss = r.ingestPeakRssMb ?? r.peakRssMb;
  const files = r.exportParquetRowsPerSecond
    ? `${r.exportParquetRowsPerSecond.toLocaleString()} / ${r.importParquetRowsPerSecond.toLocaleString()}`
    : '';
  console.log(
    `${r.case.padEnd(10)} ${r.backend.padEnd(10)} ${r.rows.toLocaleString().padStart(9)} ${r.rowsPerSecond.toLocaleString().padStart(10)} ${`${rss} MB`.padStart(9)} | ${ms(r.countPerEventPerDayMs).padStart(7)} ${ms(r.jsonGroupByMs).padStart(8)} ${ms(r.distinctUsersMs).padStart(6)} ${ms(r.funnelMs).padStart(7)} | ${files}`,
  );
}
console.log('\nratios (same run):', JSON.stringify(ratios));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results', 'latest.json'),
  `${JSON.stringify({ when: new Date().toISOString(), quick, machine, results, ratios }, null, 2)}\n`,
);
console.log('wrote bench/results/latest.json');
