import { exportLinesLoader } from './duckdb-export-lines-loader.js';
import { type ExportLineShape, idText } from './duckdb-export-lines-sql.js';
import { badRecord, type FlatLoader, fromText } from './duckdb-flat-sql.js';

/**
 * Imports JSON lines in Mixpanel's Engage profile shape — this package's own profiles exports
 * (`exportTable --format jsonl`), gzip or not, with their `$mp_restore` members — with DuckDB,
 * straight into a profiles staging table. The SQL is the JavaScript path's transform
 * (`io/mixpanel-lines.ts` `rawProfileToRecord`, then `engine/event-rows.ts` `ProfileRowBuilder`),
 * for the records that need no more than it:
 *
 * - `$distinct_id` → distinct_id: non-empty text, an integer literal as its digits (of any length),
 *   or true/false (which the JavaScript path turns into text too); absent, null or `''` is an
 *   invalid record there and here;
 * - `$properties` must be an object; stored as the line's own text with its `$mp_restore` applied
 *   (`duckdb-export-lines-sql.ts`): `$last_seen` stays in it unless the exporter appended it;
 * - last_seen from `$properties.$last_seen` as the exporter wrote it (before the restore, like
 *   `profileTime`): not a string, or blank → NULL; ISO-8601 text in UTC (`2024-06-01T10:00:00.123`,
 *   with `Z`, a space, or a bare date) → a timestamp. The JavaScript path reads other texts leniently
 *   (offsets; unreadable ones become NULL), so any other text is rejected here and the file goes there;
 * - `_seq` = the line's position.
 *
 * Duplicates of a distinct_id are resolved afterwards by the engine, as for every profiles source
 * (the newest `last_seen` wins, NULL loses, ties go to the later row).
 */

/** Where the exporter puts what this SQL reads (`j[1]`, `j[2]`). */
const SHAPE: ExportLineShape = {
  prefix: '{"$distinct_id":',
  member: '$properties',
  settled: ['$last_seen'],
  paths: ['$."$distinct_id"', '$."$properties"."$last_seen"'],
};

const LAST_SEEN = '$properties.$last_seen';

const PROBLEMS: Readonly<Record<string, string>> = {
  distinct_id: 'must be a non-empty string or an integer',
  [LAST_SEEN]: 'is not a time the native reader parses',
};

/**
 * The layouts `fromText` reads, checked first: DuckDB's `strptime` also takes a few texts (single
 * digit months, say) that JavaScript's `Date` reads otherwise.
 */
const ISO_TEXT = String.raw`'^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z?)?$'`;

/** `$last_seen` (JSON `v`) → TIMESTAMP as `profileTime` reads it, NULL when it gives none; other texts reject the row. */
function lastSeen(v: string): string {
  const text = `(${v} ->> '$')`;
  return (
    `CASE WHEN json_type(${v}) IS DISTINCT FROM 'VARCHAR' OR trim(${text}) = '' THEN NULL ` +
    `WHEN regexp_matches(${text}, ${ISO_TEXT}) THEN coalesce(${fromText(text)}, ${badRecord(LAST_SEEN)}) ` +
    `ELSE ${badRecord(LAST_SEEN)} END`
  );
}

/** How Engage-shaped profile lines are read and staged (planned by `planFlatLoad`). */
export const engageLinesLoader: FlatLoader<{ readonly from: string }> = exportLinesLoader({
  what: 'Engage profile lines',
  shape: SHAPE,
  columns: ['distinct_id', 'properties', 'last_seen', '_seq'],
  // error() aborts the statement; CASE evaluates it only for the rows that reach it.
  select: (properties) =>
    `coalesce(nullif(${idText('j[1]', true)}, ''), ${badRecord('distinct_id')}), ${properties}, ${lastSeen('j[2]')}, seq`,
  problems: PROBLEMS,
});
