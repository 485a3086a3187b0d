// One import measurement in its own process. Usage:
//   node bench/import-case.js FORMAT ROWS [BACKEND] [--no-sidecar] [--profiles]   → prints one JSON line.
//   FORMAT   parquet | csv | jsonl (this package's events export: raw Mixpanel lines) |
//            flat-jsonl (one object per row with the table's columns, from exportQuery; no sidecar)
//   BACKEND  duckdb (default) | sqlite | postgres (needs MP_BENCH_PG_URL)
//   --profiles  a `profiles` table of `bench/mixpanel-profiles.js` instead of events.
//   --checksum  the export records the table's checksum, so the import verifies it (reads the table back).
// A child process fills the `events` table of `bench/mixpanel-events.js` (a 19-digit id in each
// event) and exports it with this package (`--prepare`); this process then imports the file into a
// fresh database and reports rows/s, the lane taken (`result.lane`) and its peak RSS (VmHWM).
// MP_BENCH_DIST overrides the built library (default ../dist/index.js).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixpanelEvents } from './mixpanel-events.js';
import { mixpanelProfiles } from './mixpanel-profiles.js';

const dist = process.env.MP_BENCH_DIST ?? '../dist/index.js';
const { StorageEngine } = await import(dist);

function openOptions(backend, path, schema) {
  if (backend === 'postgres') return { backend, settings: { url: process.env.MP_BENCH_PG_URL, schema } };
  return { backend, path };
}

/** Peak resident set size of this process so far, in MB (the kernel's high-water mark). */
function peakRssMb() {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : null;
}

const type = process.argv.includes('--profiles') ? 'profiles' : 'events';
const checksum = process.argv.includes('--checksum');

if (process.argv[2] === '--prepare') {
  const [, , , format, rowsText, path, out] = process.argv;
  const storage = await StorageEngine.open({ backend: 'duckdb', path });
  async function* records() {
    yield* (type === 'profiles' ? mixpanelProfiles : mixpanelEvents)(Number(rowsText));
  }
  if (type === 'profiles') await storage.createProfilesTable(type, records(), { type });
  else await storage.createEventsTable(type, records(), { type });
  if (format === 'flat-jsonl') {
    await storage.exportQuery(`SELECT * FROM ${type}`, [], { path: out, format: 'jsonl' });
    rmSync(`${out}.meta.json`);
  } else await storage.exportTable(type, { path: out, format, checksum });
  await storage.close();
  process.exit(0);
}

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [format, rowsText, backend = 'duckdb'] = args;
const sidecar = !process.argv.includes('--no-sidecar');
const rows = Number(rowsText);
const dir = mkdtempSync(join(tmpdir(), 'mp-bench-import-'));
const file = join(dir, `${type}.${format === 'flat-jsonl' ? 'jsonl' : format}`);
const schema = `bench_import_${process.pid}`;
if (backend === 'postgres' && !process.env.MP_BENCH_PG_URL) throw new Error('postgres needs MP_BENCH_PG_URL');

try {
  const prepared = spawnSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--prepare',
      format,
      String(rows),
      join(dir, 'source.duckdb'),
      file,
      ...(type === 'profiles' ? ['--profiles'] : []),
      ...(checksum ? ['--checksum'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: process.env },
  );
  if (prepared.status !== 0) throw new Error(`preparing ${rows} rows failed (exit ${prepared.status})`);
  const storage = await StorageEngine.open(openOptions(backend, join(dir, `target.${backend}`), schema));
  const rssBeforeMb = Math.round(process.memoryUsage().rss / 1048576);
  const start = performance.now();
  const result = await storage.importFile(type, file, {
    type,
    ...(sidecar ? {} : { sidecar: false }),
  });
  const seconds = (performance.now() - start) / 1000;
  if (backend === 'postgres') await storage.execute(`DROP SCHEMA "${schema}" CASCADE`);
  await storage.close();
  console.log(
    JSON.stringify({
      case: 'import',
      type,
      format,
      backend,
      rows,
      inserted: result.inserted,
      lane: result.lane ?? 'javascript',
      verified: result.verification?.ok ?? null,
      checksum: result.verification?.actualChecksum ?? null,
      seconds: +seconds.toFixed(2),
      rowsPerSecond: Math.round(result.inserted / seconds),
      rssBeforeMb,
      peakRssMb: peakRssMb(),
      fileMb: +(statSync(file).size / 1048576).toFixed(1),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
