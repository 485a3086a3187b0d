// One checksum measurement in its own process. Usage:
//   node bench/checksum-case.js ROWS [BACKEND] [--profiles]   → prints one JSON line.
// A child process fills the `events` (or `profiles`) table of `bench/mixpanel-events.js`
// (`bench/mixpanel-profiles.js`) in a DuckDB or SQLite file (`--prepare`); this process opens it and
// runs `checksumTable`, reporting rows/s, the checksum and its peak RSS (VmHWM). Run it under
// `node --cpu-prof` to see where the time goes. MP_BENCH_DIST overrides the built library.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixpanelEvents } from './mixpanel-events.js';
import { mixpanelProfiles } from './mixpanel-profiles.js';

const dist = process.env.MP_BENCH_DIST ?? '../dist/index.js';
const { StorageEngine, checksumTable } = await import(dist);
const type = process.argv.includes('--profiles') ? 'profiles' : 'events';

function peakRssMb() {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : null;
}

if (process.argv[2] === '--prepare') {
  const [, , , rowsText, backend, path] = process.argv;
  const storage = await StorageEngine.open({ backend, path });
  async function* records() {
    yield* (type === 'profiles' ? mixpanelProfiles : mixpanelEvents)(Number(rowsText));
  }
  if (type === 'profiles') await storage.createProfilesTable(type, records(), { type });
  else await storage.createEventsTable(type, records(), { type });
  await storage.close();
  process.exit(0);
}

const [rowsText, backend = 'duckdb'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rows = Number(rowsText);
const dir = mkdtempSync(join(tmpdir(), 'mp-bench-checksum-'));
const path = join(dir, `source.${backend}`);
try {
  const prepared = spawnSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--prepare',
      String(rows),
      backend,
      path,
      ...(type === 'profiles' ? ['--profiles'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  if (prepared.status !== 0) throw new Error(`preparing ${rows} rows failed (exit ${prepared.status})`);
  const storage = await StorageEngine.open({ backend, path });
  const start = performance.now();
  const result = await checksumTable(storage, type);
  const seconds = (performance.now() - start) / 1000;
  await storage.close();
  console.log(
    JSON.stringify({
      case: 'checksum',
      type,
      backend,
      rows: result.rows,
      checksum: result.checksum,
      seconds: +seconds.toFixed(2),
      rowsPerSecond: Math.round(result.rows / seconds),
      peakRssMb: peakRssMb(),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
