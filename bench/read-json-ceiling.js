// DuckDB's own `read_json` of an events JSONL file into a new table of a new database file: the
// practical ceiling for loading those events on this machine (DuckDB's defaults: every core, no
// memory limit, no dedup). Shared by the ingestion ceiling (`ingest-case.js readjson`) and the
// fetch's same-data ceiling (`fetch-ceiling-case.js`).
import { DuckDBInstance } from '@duckdb/node-api';

/** Loads `jsonlPath` (one engine-shaped event per line) into `dbPath`; returns rows and seconds. */
export async function timeReadJsonLoad(jsonlPath, dbPath) {
  const instance = await DuckDBInstance.create(dbPath);
  const c = await instance.connect();
  const start = performance.now();
  await c.run(
    `CREATE TABLE events AS SELECT * FROM read_json('${jsonlPath}', format = 'newline_delimited', columns = {event_name: 'VARCHAR', event_time: 'TIMESTAMP', distinct_id: 'VARCHAR', insert_id: 'VARCHAR', properties: 'JSON'})`,
  );
  const seconds = (performance.now() - start) / 1000;
  const count = await c.runAndReadAll('SELECT count(*) FROM events');
  const stored = Number(count.getRowsJS()[0][0]);
  c.closeSync();
  instance.closeSync();
  return { stored, seconds };
}
