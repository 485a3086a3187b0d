// The fetch's same-data ceiling, in its own process: the events a DuckDB fetch stored (the database
// `fetch-case.js` kept with MP_BENCH_KEEP_DB) written to a local JSONL file (not timed), then loaded
// by DuckDB's own `read_json` into a new database (timed). The fake's events are larger than the
// ingestion generator's (~520 bytes a line against ~400), so the fetch is compared with this
// ceiling as well as with the ingestion one.
// Usage: node bench/fetch-ceiling-case.js DB   → prints one JSON line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { timeReadJsonLoad } from './read-json-ceiling.js';

const [database] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'mp-bench-ceiling-'));
try {
  const jsonl = join(dir, 'fetched.jsonl');
  const source = await DuckDBInstance.create(database, { access_mode: 'READ_ONLY' });
  const c = await source.connect();
  await c.run(`COPY (SELECT * FROM events ORDER BY rowid) TO '${jsonl}' (FORMAT json)`);
  c.closeSync();
  source.closeSync();
  const { stored, seconds } = await timeReadJsonLoad(jsonl, join(dir, 'ceiling.db'));
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  console.log(
    JSON.stringify({
      case: 'readjson-fetched',
      backend: 'duckdb',
      rows: stored,
      stored,
      seconds,
      rowsPerSecond: Math.round(stored / seconds),
      // The export before the timed load counts too: this process's high-water mark is not the load's.
      peakRssMb: Math.round(hwm / 1024),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
