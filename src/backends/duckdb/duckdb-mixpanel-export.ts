import type { Session } from '../../backend/backend.js';
import { quoteIdentifierStandard as q } from '../../backend/sql-dialect.js';
import { InvalidRecordError } from '../../errors.js';

/**
 * Loads a Mixpanel export JSONL file into an events staging table with DuckDB's own parallel JSON
 * reader: the fetch path's fast lane. JavaScript only splits and writes lines; parsing, validation
 * and the record transform happen here, in SQL:
 *
 * - `event` → event_name; `properties.time` (seconds, or ms) → event_time (UTC);
 *   `properties.distinct_id` → distinct_id (`''` when absent); `properties.$insert_id` → insert_id;
 * - `mp_processing_time_ms` → `_proc`, line order → `_seq` (read_json keeps insertion order);
 * - events without `$insert_id` get `~<sha256 of name, time, distinct_id, properties>-<occurrence>`,
 *   the same scheme as the JavaScript path (the hashed text may differ in number formatting, so
 *   ids derived on one path are stable on that path).
 *
 * DuckDB keeps every integer that fits 64 bits exactly (19-digit ids included); the fetch path
 * sends files with longer digit runs through the JavaScript path instead, which never rounds.
 */
const BAD_RECORD = 'mp-invalid-record:';

export async function stageMixpanelExportFile(
  session: Session,
  staging: string,
  path: string,
  options: { timeInMs: boolean },
): Promise<number> {
  const toMicros = options.timeInMs ? '1000' : '1000000';
  const source =
    `SELECT event, properties, row_number() OVER () AS seq FROM read_json($1, format = 'newline_delimited', ` +
    `columns = {event: 'VARCHAR', properties: 'JSON'})`;
  // error() aborts the statement with a message naming the line, which becomes InvalidRecordError.
  const shaped =
    `SELECT CASE WHEN event IS NULL OR event = '' THEN error('${BAD_RECORD}' || seq || ':event') ELSE event END AS event_name, ` +
    `coalesce(make_timestamp(CAST(round(TRY_CAST(json_extract(properties, '$.time') AS DOUBLE) * ${toMicros}) AS BIGINT)), ` +
    `error('${BAD_RECORD}' || seq || ':properties.time')) AS event_time, ` +
    `coalesce(json_extract_string(properties, '$.distinct_id'), '') AS distinct_id, ` +
    `nullif(json_extract_string(properties, '$."$insert_id"'), '') AS given_id, ` +
    `properties, TRY_CAST(json_extract(properties, '$.mp_processing_time_ms') AS BIGINT) AS proc, seq FROM src`;
  const derivedHash = `substr(sha256(event_name || chr(0) || CAST(epoch_ms(event_time) AS VARCHAR) || chr(0) || distinct_id || chr(0) || CAST(properties AS VARCHAR)), 1, 24)`;
  // Rows with an id pass straight through; only the (rare) rows without one pay for the window
  // that numbers identical events.
  const sql =
    `INSERT INTO ${q(staging)} (event_name, event_time, distinct_id, insert_id, properties, _proc, _seq) ` +
    `WITH src AS (${source}), shaped AS (${shaped}) ` +
    `SELECT event_name, event_time, distinct_id, given_id, properties, proc, seq FROM shaped WHERE given_id IS NOT NULL ` +
    `UNION ALL SELECT event_name, event_time, distinct_id, '~' || h || '-' || CAST(row_number() OVER (PARTITION BY h ORDER BY seq) AS VARCHAR), ` +
    `properties, proc, seq FROM (SELECT *, ${derivedHash} AS h FROM shaped WHERE given_id IS NULL)`;
  try {
    return await session.run(sql, [path]);
  } catch (error) {
    const match = new RegExp(`${BAD_RECORD}(\\d+):([a-z.]+)`).exec(
      error instanceof Error ? error.message : '',
    );
    if (!match) throw error;
    const field = match[2] ?? 'event';
    throw new InvalidRecordError(
      Number(match[1]),
      field,
      field === 'event' ? 'must be a non-empty string' : 'must be a number',
      {
        cause: error,
      },
    );
  }
}
