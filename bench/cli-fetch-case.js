// `mp fetch events` as a whole process (what a user runs), timed with its peak RSS from
// /usr/bin/time, against `mp fake-server` in another process.
// Usage: node bench/cli-fetch-case.js EVENTS_PER_DAY DAYS   → prints one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../dist/cli/main.js');
const [perDay, days] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'mp-bench-cli-'));
// The same fake as fetch-case.js (seed 3, export cache precomputed), started through fetch-case.js
// so both cases share one definition of it: the timed process is `mp fetch events` alone.
const server = spawn(
  process.execPath,
  [join(here, 'fetch-case.js'), '--fake-server', String(perDay), String(days)],
  {
    stdio: ['ignore', 'pipe', 'ignore'],
  },
);
try {
  const fake = JSON.parse(
    await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve)),
  );
  const toDate = new Date(Date.UTC(2024, 5, 1) + (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const env = {
    ...process.env,
    HOME: dir,
    MP_CONFIG_PATH: join(dir, 'config.toml'),
    MP_API_BASE_URL: fake.url,
    MP_USERNAME: fake.username,
    MP_SECRET: fake.secret,
    MP_PROJECT_ID: fake.projectId,
    MP_REGION: 'us',
  };
  const args = ['-v', process.execPath, cli, '--path', join(dir, 'cli.db'), '--format', 'json', '-q'];
  // 5-day chunks: Mixpanel's 3 export requests per second (which the client honours) would otherwise
  // dominate a 30-day benchmark of one-day chunks.
  args.push(
    'fetch',
    'events',
    '--from',
    '2024-06-01',
    '--to',
    toDate,
    '--parallel',
    '--workers',
    '2',
    '--chunk-days',
    '5',
  );
  const start = performance.now();
  const run = spawnSync('/usr/bin/time', args, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`mp fetch exited ${run.status}: ${run.stderr.slice(-2000)}`);
  const result = JSON.parse(run.stdout);
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1] ?? 0);
  const rows = result.rowsStored + result.duplicatesSkipped;
  console.log(
    JSON.stringify({
      case: 'mp fetch',
      backend: 'duckdb',
      rows,
      stored: result.rowsStored,
      seconds,
      rowsPerSecond: Math.round(rows / seconds),
      peakRssMb: Math.round(rssKb / 1024),
    }),
  );
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
