import type { NativeImportFile } from '../../backend/backend.js';
import { badRecord } from './duckdb-flat-sql.js';

/**
 * SQL shared by the native lanes of this package's own JSON-lines exports in Mixpanel's shapes
 * (`io/mixpanel-lines.ts`): events `{"event":…,"properties":{…}}` (`duckdb-mixpanel-lines-import.ts`)
 * and Engage profiles `{"$distinct_id":…,"$properties":{…}}` (`duckdb-engage-lines-import.ts`).
 *
 * The stored properties are the file's own text, not a re-serialisation: lines are read as text
 * (`read_csv` with one column, no quoting, a delimiter JSON text cannot hold raw) and the properties
 * member is cut out of the line (`<prefix>…,"<member>":<text>[,"$mp_restore":{…}]}`, the exporter's
 * layout; the cut must be one valid JSON object, which holds only when it is the member). So a table
 * exported and imported keeps its properties byte for byte, numbers like `1e+21` and key order
 * included. `$mp_restore` is applied to that text: `nullProperties` → NULL; `absent` keys (which the
 * exporter appends at the end, in its settled order) are cut off again (the cut-off members must be
 * exactly those keys, and the rest must hold none of them). A `replaced` member (the exporter
 * re-serialised those properties) and any other shape are rejected: the importer then reads the
 * file in JavaScript.
 */

export const RESTORE = '$mp_restore';

/** The exporter's line layout of one table kind. */
export interface ExportLineShape {
  /** How every line starts (the member before the properties, up to its value). */
  readonly prefix: string;
  /** The top-level properties member. */
  readonly member: string;
  /** The keys an `absent` list may name, in the order the exporter appends them. */
  readonly settled: readonly string[];
  /** JSON paths the caller reads from each line, as `j[1]…j[n]` of the rows this yields. */
  readonly paths: readonly string[];
}

/**
 * The restored properties text of a row of {@link restoredLines}, or NULL; a line not in the layout,
 * or a restore beyond `absent` and `nullProperties`, aborts the statement naming `line` or
 * `$mp_restore` (CASE evaluates error() only for the rows that reach it).
 */
export const RESTORED_PROPERTIES =
  `CASE WHEN raw_p IS NULL OR NOT starts_with(raw_p, '{') OR NOT json_valid(p) THEN ${badRecord('line')} ` +
  `WHEN NOT supported OR p IS NULL THEN ${badRecord(RESTORE)} WHEN null_p THEN NULL ` +
  `WHEN len(absent) > 0 AND (cut_keys <> absent OR list_has_any(json_keys(p), absent)) THEN ${badRecord(RESTORE)} ` +
  'ELSE p END';

/** The problems of the fields this SQL rejects, for `runStaging`. */
export const LINE_PROBLEMS: Readonly<Record<string, string>> = {
  [RESTORE]: 'holds more than the native reader restores',
  line: 'is not in the layout the native reader cuts',
};

/** An integer literal without a sign on zero: `String()` of what the JavaScript parser makes of it is the same text. */
const INTEGER_TEXT = "'^(-?[1-9][0-9]*|0)$'";

/** A byte valid JSON text never holds raw (control characters are escaped in strings): no line is split. */
const NO_DELIMITER = String.fromCharCode(1);

/**
 * A JSON value `v` as id text: a string, an integer literal, or (`booleans`: as `idText` in
 * `mixpanel-lines.ts` does) true/false; else NULL.
 */
export function idText(v: string, booleans: boolean): string {
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

/** `read_csv` of a file's lines as text, one column `line`. */
export function linesReader(file: NativeImportFile): string {
  return (
    `read_csv($1, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = '${NO_DELIMITER}', ` +
    `quote = '', escape = '', strict_mode = false, compression = '${file.gzip ? 'gzip' : 'none'}')`
  );
}

/**
 * The lines of `from` as rows `seq, j` (the values of `shape.paths`) and the columns
 * {@link RESTORED_PROPERTIES} reads. (The caller selects it beside its other columns, so the
 * first rejected row and field are the same whichever column rejects it.)
 */
export function restoredLines(from: string, shape: ExportLineShape): string {
  // Each layer computes its columns once; the next one only refers to them.
  // Empty lines come as NULL and are skipped, as the JavaScript reader skips them; a line of spaces
  // is not JSON there, and fails the JSON extraction here (so the file goes to JavaScript).
  const lines = `SELECT line, row_number() OVER () AS seq FROM ${from} WHERE line IS NOT NULL`;
  const paths = [...shape.paths, `$."${RESTORE}"`];
  const r = `j[${paths.length}]`;
  const extracted = `SELECT line, seq, json_extract(line, [${paths.map((f) => `'${f}'`).join(', ')}]) AS j FROM (${lines})`;
  // After the prefix (a JSON string holds no raw `"` after a comma) the first `,"<member>":` is the
  // top-level member; it ends before the last `,"$mp_restore":`, or before the line's closing brace.
  const member = `,"${shape.member}":`;
  const body = `rtrim(line, ' ' || chr(9) || chr(13))`;
  const restored = `${r} IS NOT NULL AND json_type(${r}) <> 'NULL'`;
  const cutFrom =
    `CASE WHEN starts_with(line, '${shape.prefix}') AND strpos(line, '${member}') > 0 ` +
    `THEN strpos(line, '${member}') + ${member.length} END`;
  const cutTo = `CASE WHEN ${restored} THEN ${beforeLast('line', `',"${RESTORE}":'`)} ELSE length(${body}) - 1 END`;
  const cut =
    `SELECT seq, j, substr(line, a, b - a + 1) AS raw_p, CASE WHEN ${restored} THEN ${r} END AS r ` +
    `FROM (SELECT seq, j, line, ${cutFrom} AS a, ${cutTo} AS b FROM (${extracted}))`;
  // The restore member: only `absent` (keys of settled) and `nullProperties` are applied natively.
  const keys = `[${shape.settled.map((k) => `'${k}'`).join(', ')}]`;
  const absentList = `CAST((r -> '$.absent') AS VARCHAR[])`;
  const supported =
    `r IS NULL OR (json_type(r) = 'OBJECT' AND list_has_all(['absent', 'nullProperties'], json_keys(r)) ` +
    `AND (json_type(r, '$.absent') IS NULL OR (json_type(r, '$.absent') = 'ARRAY' AND list_has_all(${keys}, ${absentList}))))`;
  const nullProperties = `json_type(r, '$.nullProperties') = 'BOOLEAN' AND (r ->> '$.nullProperties') = 'true'`;
  const restore =
    `SELECT seq, j, raw_p, ${supported} AS supported, coalesce(r IS NOT NULL AND ${nullProperties}, false) AS null_p, ` +
    `CASE WHEN r IS NOT NULL AND json_type(r, '$.absent') = 'ARRAY' THEN ${absentList} ELSE [] END AS absent FROM (${cut})`;
  // The exporter appends the absent keys at the end, in settled order: the last `,"<first>":` starts
  // them (an originally empty object was written `{"<first>":…}`). The cut-off members must be
  // exactly those keys, and what remains must hold none of them.
  const marker = `',"' || absent[1] || '":'`;
  const keep = `CASE WHEN strpos(raw_p, ${marker}) > 0 THEN ${beforeLast('raw_p', marker)} WHEN starts_with(raw_p, '{"' || absent[1] || '":') THEN 1 END`;
  return (
    `SELECT *, CASE WHEN len(absent) = 0 OR null_p THEN raw_p ELSE substr(raw_p, 1, k) || '}' END AS p, ` +
    `CASE WHEN len(absent) = 0 OR null_p THEN [] ELSE json_keys('{' || ltrim(substr(raw_p, k + 1), ',')) END AS cut_keys ` +
    `FROM (SELECT *, ${keep} AS k FROM (${restore}))`
  );
}
