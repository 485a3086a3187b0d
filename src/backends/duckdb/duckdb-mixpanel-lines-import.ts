import type { NativeImportFile, Session, StatementOptions } from '../../backend/backend.js';
import { quoteIdentifierStandard as q } from '../../backend/sql-dialect.js';
import { badRecord, type FlatLoader, runStaging } from './duckdb-flat-sql.js';

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
 * The stored properties are the file's own text, not a re-serialisation: lines are read as text
 * (`read_csv` with one column, no quoting, a delimiter JSON text cannot hold raw) and the properties
 * member is cut out of the line (`{"event":<string>,"properties":<text>[,"$mp_restore":{…}]}`, the
 * exporter's layout; the cut must be one valid JSON object, which holds only when it is the member).
 * So a table exported and imported keeps its properties byte for byte, numbers like `1e+21` and
 * key order included. `$mp_restore` is applied to that text: `nullProperties` → NULL; `absent` keys
 * (which the exporter appends at the end, in this order: time, distinct_id, $insert_id) are cut off
 * again (the cut-off members must be exactly those keys, and the rest must hold none of them). A `replaced`
 * member (the exporter re-serialised those properties) and any other shape are rejected: the
 * importer then reads the file in JavaScript.
 */

const RESTORE = '$mp_restore';
/** The keys an `absent` list may name, in the order the exporter appends them. */
const SETTLED = ['time', 'distinct_id', '$insert_id'] as const;

/** An integer literal without a sign on zero: `String()` of what the JavaScript parser makes of it is the same text. */
const INTEGER_TEXT = "'^(-?[1-9][0-9]*|0)$'";

/** A byte valid JSON text never holds raw (control characters are escaped in strings): no line is split. */
const NO_DELIMITER = String.fromCharCode(1);

const PROBLEMS: Readonly<Record<string, string>> = {
  event: 'must be a non-empty string',
  properties: 'must be an object',
  'properties.time': 'must be a number (seconds)',
  'properties.distinct_id': 'is not a string, an integer or a boolean',
  'properties.$insert_id': 'is missing (the JavaScript path derives it)',
  $mp_restore: 'holds more than the native reader restores',
  line: 'is not in the layout the native reader cuts',
};

/**
 * A JSON value `v` as id text: a string, an integer literal, or (`booleans`: as `idText` in
 * `mixpanel-lines.ts` does for distinct_id, not for `$insert_id`) true/false; else NULL.
 */
function idText(v: string, booleans: boolean): string {
  return (
    `CASE WHEN json_type(${v}) = 'VARCHAR' THEN (${v} ->> '$') ` +
    `WHEN json_type(${v}) IN ('BIGINT', 'UBIGINT'${booleans ? ", 'BOOLEAN'" : ''}) ` +
    `OR (json_type(${v}) = 'DOUBLE' AND regexp_matches(CAST(${v} AS VARCHAR), ${INTEGER_TEXT})) ` +
    `THEN CAST(${v} AS VARCHAR) END`
  );
}

/** `length(t) + 1 - <position of the last occurrence of m in t> - length(m)` of SQL expressions: the characters before it. */
const beforeLast = (t: string, m: string) =>
  `length(${t}) + 1 - strpos(reverse(${t}), reverse(${m})) - length(${m})`;

async function stageMixpanelLines(
  session: Session,
  staging: string,
  path: string,
  from: string,
  options: StatementOptions,
  timeInMs: boolean,
): Promise<number> {
  // Each layer computes its columns once; the next one only refers to them.
  // Empty lines come as NULL and are skipped, as the JavaScript reader skips them; a line of spaces
  // is not JSON there, and fails the JSON extraction here (so the file goes to JavaScript).
  const lines = `SELECT line, row_number() OVER () AS seq FROM ${from} WHERE line IS NOT NULL`;
  const paths = [
    '$.event',
    '$.properties.time',
    '$.properties.distinct_id',
    '$.properties."$insert_id"',
    `$."${RESTORE}"`,
    '$.properties.mp_processing_time_ms',
  ];
  const extracted = `SELECT line, seq, json_extract(line, [${paths.map((f) => `'${f}'`).join(', ')}]) AS j FROM (${lines})`;
  // After `{"event":"…"` (a string holds no raw `"` after a comma) the first `,"properties":` is the
  // top-level member; it ends before the last `,"$mp_restore":`, or before the line's closing brace.
  const member = ',"properties":';
  const body = `rtrim(line, ' ' || chr(9) || chr(13))`;
  const restored = `j[5] IS NOT NULL AND json_type(j[5]) <> 'NULL'`;
  const cutFrom =
    `CASE WHEN starts_with(line, '{"event":"') AND strpos(line, '${member}') > 0 ` +
    `THEN strpos(line, '${member}') + ${member.length} END`;
  const cutTo = `CASE WHEN ${restored} THEN ${beforeLast('line', `',"${RESTORE}":'`)} ELSE length(${body}) - 1 END`;
  const cut =
    `SELECT seq, j, substr(line, a, b - a + 1) AS raw_p, CASE WHEN ${restored} THEN j[5] END AS r ` +
    `FROM (SELECT seq, j, line, ${cutFrom} AS a, ${cutTo} AS b FROM (${extracted}))`;
  // The restore member: only `absent` (keys of SETTLED) and `nullProperties` are applied natively.
  const keys = `[${SETTLED.map((k) => `'${k}'`).join(', ')}]`;
  const absentList = `CAST((r -> '$.absent') AS VARCHAR[])`;
  const supported =
    `r IS NULL OR (json_type(r) = 'OBJECT' AND list_has_all(['absent', 'nullProperties'], json_keys(r)) ` +
    `AND (json_type(r, '$.absent') IS NULL OR (json_type(r, '$.absent') = 'ARRAY' AND list_has_all(${keys}, ${absentList}))))`;
  const nullProperties = `json_type(r, '$.nullProperties') = 'BOOLEAN' AND (r ->> '$.nullProperties') = 'true'`;
  const restore =
    `SELECT seq, j, raw_p, ${supported} AS supported, coalesce(r IS NOT NULL AND ${nullProperties}, false) AS null_p, ` +
    `CASE WHEN r IS NOT NULL AND json_type(r, '$.absent') = 'ARRAY' THEN ${absentList} ELSE [] END AS absent FROM (${cut})`;
  // The exporter appends the absent keys at the end, in SETTLED order: the last `,"<first>":` starts
  // them (an originally empty object was written `{"<first>":…}`). The cut-off members must be
  // exactly those keys, and what remains must hold none of them.
  const marker = `',"' || absent[1] || '":'`;
  const keep = `CASE WHEN strpos(raw_p, ${marker}) > 0 THEN ${beforeLast('raw_p', marker)} WHEN starts_with(raw_p, '{"' || absent[1] || '":') THEN 1 END`;
  const stripped =
    `SELECT *, CASE WHEN len(absent) = 0 OR null_p THEN raw_p ELSE substr(raw_p, 1, k) || '}' END AS p, ` +
    `CASE WHEN len(absent) = 0 OR null_p THEN [] ELSE json_keys('{' || ltrim(substr(raw_p, k + 1), ',')) END AS cut_keys ` +
    `FROM (SELECT *, ${keep} AS k FROM (${restore}))`;
  const scale = timeInMs ? '1' : '1000';
  const ms = `floor(CAST(j[2] AS DOUBLE) * ${scale} + 0.5)`;
  const given = idText('j[4]', false);
  // error() aborts the statement; CASE evaluates it only for the rows that reach it.
  const shaped =
    `SELECT CASE WHEN json_type(j[1]) = 'VARCHAR' AND (j[1] ->> '$') <> '' THEN (j[1] ->> '$') ELSE ${badRecord('event')} END AS event_name, ` +
    // JavaScript's Date ends at ±8.64e15 ms; a time beyond it is an invalid record there.
    `CASE WHEN json_type(j[2]) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND abs(${ms}) <= 8.64e15 ` +
    `THEN make_timestamp(CAST(${ms} AS BIGINT) * 1000) ELSE ${badRecord('properties.time')} END AS event_time, ` +
    `CASE WHEN j[3] IS NULL OR json_type(j[3]) = 'NULL' THEN '' ELSE coalesce(${idText('j[3]', true)}, ${badRecord('properties.distinct_id')}) END AS distinct_id, ` +
    `coalesce(nullif(${given}, ''), ${badRecord('properties.$insert_id')}) AS insert_id, ` +
    `CASE WHEN raw_p IS NULL OR NOT starts_with(raw_p, '{') OR NOT json_valid(p) THEN ${badRecord('line')} ` +
    `WHEN NOT supported OR p IS NULL THEN ${badRecord(RESTORE)} WHEN null_p THEN NULL ` +
    `WHEN len(absent) > 0 AND (cut_keys <> absent OR list_has_any(json_keys(p), absent)) THEN ${badRecord(RESTORE)} ` +
    `ELSE p END AS properties, ` +
    `CASE json_type(j[6]) WHEN 'DOUBLE' THEN TRY_CAST(trunc(CAST(j[6] AS DOUBLE)) AS BIGINT) ` +
    `WHEN 'BIGINT' THEN TRY_CAST(j[6] AS BIGINT) WHEN 'UBIGINT' THEN TRY_CAST(j[6] AS BIGINT) END AS proc, seq FROM (${stripped})`;
  const sql =
    `INSERT INTO ${q(staging)} (event_name, event_time, distinct_id, insert_id, properties, _proc, _seq) ` +
    `SELECT event_name, event_time, distinct_id, insert_id, properties, proc, seq FROM (${shaped})`;
  return runStaging(session, sql, path, PROBLEMS, options);
}

/** `read_csv` of a file's lines as text, one column `line`. */
function linesReader(file: NativeImportFile): string {
  return (
    `read_csv($1, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = '${NO_DELIMITER}', ` +
    `quote = '', escape = '', strict_mode = false, compression = '${file.gzip ? 'gzip' : 'none'}')`
  );
}

/** How Mixpanel-shaped event lines are read and staged (planned by `planFlatLoad`). */
export function mixpanelLinesLoader(file: NativeImportFile): FlatLoader<{ readonly from: string }> {
  const notJsonLines = async () => 'Mixpanel event lines are JSON lines';
  return {
    parquet: notJsonLines,
    csv: () => 'Mixpanel event lines are JSON lines',
    jsonl: (f) => ({ from: linesReader(f) }),
    stage: (session, staging, path, { from }, options) =>
      stageMixpanelLines(session, staging, path, from, options, file.timeInMs),
  };
}
