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
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const rows = quick ? 100_000 : 1_000_000;
const scaleRows = quick ? 500_000 : 5_000_000;
// The seed's design runs ~8k rows/s here: 1M rows would take two minutes, so it gets a tenth.
const seedRows = Math.max(10_000, Math.round(rows / 10));

function runCase(kind, n, backend, env = {}) {
  process.stderr.write(`… ${kind} ${backend} ${n.toLocaleString()} rows\n`);
  const out = spawnSync(
    process.execPath,
    ['--expose-gc', join(here, 'ingest-case.js'), kind, String(n), backend],
    {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  if (out.status !== 0) {
    process.stderr.write(out.stderr);
    return { case: kind, backend, rows: n, error: `exit ${out.status}` };
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
results.push(runCase('engine', rows, 'sqlite'));
const pg = await postgresUrl();
if (pg) {
  try {
    results.push(runCase('engine', rows, 'postgres', { MP_BENCH_PG_URL: pg.url }));
  } finally {
    await pg.stop();
  }
} else {
  process.stderr.write('PostgreSQL benchmark skipped: no MP_BENCH_PG_URL and no server binaries.\n');
}
results.push(runCase('engine', scaleRows, 'duckdb'));

const byKey = (kind, backend, n) =>
  results.find((r) => r.case === kind && r.backend === backend && r.rows === n);
const engine = byKey('engine', 'duckdb', rows);
const ceiling = byKey('readjson', 'duckdb', rows);
const seed = byKey('seed', 'duckdb', seedRows);
const scaled = byKey('engine', 'duckdb', scaleRows);
const ratios = {
  engineVsReadJsonCeiling:
    engine && ceiling ? +(engine.rowsPerSecond / ceiling.rowsPerSecond).toFixed(2) : null,
  engineVsSeedDesign: engine && seed ? +(engine.rowsPerSecond / seed.rowsPerSecond).toFixed(1) : null,
  rssGrowthAtScale: engine && scaled ? +(scaled.peakRssMb / engine.peakRssMb).toFixed(2) : null,
};
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};

console.log('\ncase       backend    rows        rows/s    peak RSS  JSON group-by');
for (const r of results) {
  if (r.error) {
    console.log(`${r.case.padEnd(10)} ${r.backend.padEnd(10)} ${String(r.rows).padStart(9)}  ${r.error}`);
    continue;
  }
  console.log(
    `${r.case.padEnd(10)} ${r.backend.padEnd(10)} ${r.rows.toLocaleString().padStart(9)} ${r.rowsPerSecond.toLocaleString().padStart(10)} ${`${r.peakRssMb} MB`.padStart(9)}  ${r.jsonGroupByMs === undefined ? '' : `${r.jsonGroupByMs} ms`}`,
  );
}
console.log('\nratios (same run):', JSON.stringify(ratios));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results', 'latest.json'),
  `${JSON.stringify({ when: new Date().toISOString(), quick, machine, results, ratios }, null, 2)}\n`,
);
console.log('wrote bench/results/latest.json');
