import type { NativeImportFile } from '../../backend/backend.js';
import { jsonIntegerValue } from './duckdb-dialect.js';
import { type ExportLinesLane, exportLinesLoader } from './duckdb-export-lines-loader.js';
import { type ExportLineShape, idText } from './duckdb-export-lines-sql.js';
import { badRecord, type FlatLoader } from './duckdb-flat-sql.js';

/**
 * Imports JSON lines in Mixpanel's raw event shape — this package's own events exports
 * (`exportTable --format jsonl`, `mp fetch events --stdout`), gzip or not, with their `$mp_restore`
 * members — with DuckDB, straight into an events staging table. The SQL is the JavaScript path's
 * transform (`io/mixpanel-lines.ts` `rawEventToRecord`, then `engine/event-rows.ts`), for the
 * records that need no more than it:
 *
 * - `event` → event_name (non-empty text); `properties` must be an object;
 * - `properties.time` (seconds, or milliseconds with `timeInMs`) → event_time, rounded to whole
 *   milliseconds as `Math.round` does (`floor(x + 0.5)`);
 * - `properties.distinct_id` → distinct_id: text, an integer literal as its digits (of any length),
 *   true/false, or `''` when absent or null;
 * - `properties.$insert_id` → insert_id: non-empty text or an integer literal. A record without one
 *   is rejected here: the JavaScript path derives its id from its own serialisation of the
 *   properties. (The exports always carry it.)
 * - `_proc` from `mp_processing_time_ms` (truncated), `_seq` = the line's position.
 *
 * The properties are the line's own text with its `$mp_restore` applied (`duckdb-export-lines-sql.ts`);
 * the exporter appends absent keys in the order time, distinct_id, $insert_id.
 */

/** Where the exporter puts what this SQL reads (`j[1]…j[5]`). */
const SHAPE: ExportLineShape = {
  prefix: '{"event":"',
  member: 'properties',
  settled: ['time', 'distinct_id', '$insert_id'],
  paths: [
    '$.event',
    '$.properties.time',
    '$.properties.distinct_id',
    '$.properties."$insert_id"',
    '$.properties.mp_processing_time_ms',
  ],
};

const PROBLEMS: Readonly<Record<string, string>> = {
  event: 'must be a non-empty string',
  properties: 'must be an object',
  'properties.time': 'must be a number (seconds)',
  'properties.distinct_id': 'is not a string, an integer or a boolean',
  'properties.$insert_id': 'is missing (the JavaScript path derives it)',
};

/** The staging row of a line (`timeInMs`: `time` in milliseconds); error() aborts the statement only for the rows that reach it. */
function select(timeInMs: boolean, properties: string): string {
  const ms = `floor(CAST(j[2] AS DOUBLE) * ${timeInMs ? '1' : '1000'} + 0.5)`;
  return (
    `CASE WHEN json_type(j[1]) = 'VARCHAR' AND (j[1] ->> '$') <> '' THEN (j[1] ->> '$') ELSE ${badRecord('event')} END, ` +
    // JavaScript's Date ends at ±8.64e15 ms; a time beyond it is an invalid record there.
    `CASE WHEN json_type(j[2]) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND abs(${ms}) <= 8.64e15 ` +
    `THEN make_timestamp(CAST(${ms} AS BIGINT) * 1000) ELSE ${badRecord('properties.time')} END, ` +
    `CASE WHEN j[3] IS NULL OR json_type(j[3]) = 'NULL' THEN '' ELSE coalesce(${idText('j[3]', true)}, ${badRecord('properties.distinct_id')}) END, ` +
    `coalesce(nullif(${idText('j[4]', false)}, ''), ${badRecord('properties.$insert_id')}), ${properties}, ` +
    `${jsonIntegerValue('j[5]')}, seq`
  );
}

/** How Mixpanel-shaped event lines are read and staged (planned by `planFlatLoad`). */
export function mixpanelLinesLoader(file: NativeImportFile): FlatLoader<{ readonly from: string }> {
  const lane: ExportLinesLane = {
    what: 'Mixpanel event lines',
    shape: SHAPE,
    columns: ['event_name', 'event_time', 'distinct_id', 'insert_id', 'properties', '_proc', '_seq'],
    select: (properties) => select(file.timeInMs, properties),
    problems: PROBLEMS,
  };
  return exportLinesLoader(lane);
}
