import type {
  BackendConnection,
  NativeImportFile,
  Session,
  StatementOptions,
} from '../../backend/backend.js';
import { quoteIdentifierStandard as q } from '../../backend/sql-dialect.js';
import {
  badRecord,
  checkedProperties,
  csvReader,
  type FlatLoader,
  fromText,
  jsonId,
  jsonProperties,
  jsonReader,
  jsonTime,
  parquetColumnTypes,
  parquetIdText,
  parquetJsonText,
  parquetTime,
  runStaging,
} from './duckdb-flat-sql.js';

/**
 * Imports flat profiles files (Parquet, CSV, JSON lines holding the profiles table's columns
 * `distinct_id, properties, last_seen`, as `exportTable` writes Parquet and CSV and `exportQuery`
 * writes JSON lines) with DuckDB's own readers, straight into a profiles staging table. The SQL
 * applies the JavaScript path's rules (`engine/event-rows.ts` `ProfileRowBuilder`,
 * `io/import-records.ts` `profileRecords`):
 *
 * - `distinct_id`: required: non-empty text, or an integer of at most 64 bits written as digits;
 * - `properties`: a JSON object, or NULL (also for `''`); Parquet and CSV text is validated and
 *   stored as written, JSON lines as DuckDB's JSON reader re-serialises the object (integers of any
 *   length keep their digits);
 * - `last_seen`: NULL when absent, NULL or `''`; else a timestamp column (cut to milliseconds),
 *   epoch milliseconds, or ISO-8601 text in UTC, like `event_time` of events;
 * - `_seq` = the row's position.
 *
 * Duplicates of a distinct_id are resolved afterwards by the engine, as for every profiles source:
 * the newest `last_seen` wins (NULL loses), ties go to the later row (`deleteStagingLosersSql`).
 * A rejected row aborts the statement with an {@link InvalidRecordError} naming the row and field;
 * the importer then reads the file in JavaScript, which accepts a few more forms (offsets in times,
 * wider integer ids, `"null"` properties) or reports the error exactly as on every other backend.
 */

const FIELDS = ['distinct_id', 'properties', 'last_seen'] as const;
type Field = (typeof FIELDS)[number];

/**
 * The reader (`from`, whose rows carry their 1-based position as `_mp_seq`) and SQL expressions of
 * one row's fields over it: distinct_id and properties text, last_seen TIMESTAMP (a given time that
 * does not parse already rejects its row here).
 */
interface SourceSql {
  readonly from: string;
  readonly fields: Readonly<Record<Field, string>>;
}

/** The position column every reader adds (named so no file column can shadow it). */
const SEQ = '_mp_seq';
const numbered = (reader: string) => `(SELECT *, row_number() OVER () AS ${SEQ} FROM ${reader})`;

/** A given time (`value` not NULL, not `''`) must convert (`time`); otherwise the row is rejected. */
const givenTime = (value: string, time: string, text: boolean) =>
  `CASE WHEN ${value} IS NULL${text ? ` OR ${value} = ''` : ''} THEN NULL ` +
  `ELSE coalesce(${time}, ${badRecord('last_seen', SEQ)}) END`;

/** Whether a row-keyed file is the Engage shape (`$distinct_id` + `$properties`), which is not flat. */
function shapeProblem(names: readonly string[]): string | null {
  if (names.includes('$distinct_id') && names.includes('$properties'))
    return 'Engage profile rows, not flat columns';
  return names.includes('distinct_id') ? null : 'no distinct_id column';
}

async function parquetSource(
  connection: BackendConnection,
  path: string,
  options: StatementOptions,
): Promise<SourceSql | string> {
  const types = await parquetColumnTypes(connection, path, options);
  const problem = shapeProblem([...types.keys()]);
  if (problem !== null) return problem;
  const distinct = types.get('distinct_id')!;
  const distinctId = parquetIdText(distinct, q('distinct_id'));
  if (distinctId === null) return `distinct_id is ${distinct}`;
  const properties = types.get('properties');
  let propertiesText = 'NULL::VARCHAR';
  if (properties !== undefined) {
    const text = parquetJsonText(properties, q('properties'));
    if (text === null) return `properties is ${properties}`;
    propertiesText = text;
  }
  const seen = types.get('last_seen');
  let lastSeen = 'NULL::TIMESTAMP';
  if (seen !== undefined) {
    const time = parquetTime(seen, q('last_seen'));
    if (time === null) return `last_seen is ${seen}`;
    // '' in a text column means no time, as in CSV.
    lastSeen = givenTime(q('last_seen'), time, seen === 'VARCHAR');
  }
  return {
    from: `(SELECT *, file_row_number + 1 AS ${SEQ} FROM read_parquet($1, file_row_number = true))`,
    fields: { distinct_id: distinctId, properties: propertiesText, last_seen: lastSeen },
  };
}

function csvSource(file: NativeImportFile): SourceSql | string {
  const problem = shapeProblem(file.header ?? []);
  if (problem !== null) return problem;
  const { from, at } = csvReader(file);
  const seen = at('last_seen');
  return {
    from: numbered(from),
    fields: {
      distinct_id: at('distinct_id'),
      properties: at('properties'),
      last_seen: givenTime(seen, fromText(seen), true),
    },
  };
}

function jsonlSource(file: NativeImportFile): SourceSql {
  return {
    from: numbered(jsonReader(file, FIELDS)),
    fields: {
      distinct_id: jsonId('distinct_id', SEQ),
      properties: jsonProperties('properties', SEQ),
      // A JSON string '' is no time (the JavaScript reader's rule for flat rows).
      last_seen: givenTime(
        `(CASE WHEN ${q('last_seen')} IS NOT NULL AND (${q('last_seen')} ->> '$') <> '' THEN ${q('last_seen')} END)`,
        jsonTime('last_seen'),
        false,
      ),
    },
  };
}

const PROBLEMS: Readonly<Record<string, string>> = {
  distinct_id: 'must be a non-empty string or an integer',
  properties: 'must be a JSON object',
  last_seen: 'is not a time the native reader parses',
};

async function stageProfiles(
  session: Session,
  staging: string,
  path: string,
  source: SourceSql,
  options: StatementOptions = {},
): Promise<number> {
  const f = source.fields;
  // error() aborts the statement; CASE evaluates it only for the rows that reach it.
  const sql =
    `INSERT INTO ${q(staging)} (distinct_id, properties, last_seen, _seq) ` +
    `SELECT CASE WHEN d IS NULL OR d = '' THEN ${badRecord('distinct_id')} ELSE d END, ` +
    `${checkedProperties('p')}, t, seq ` +
    `FROM (SELECT ${f.distinct_id} AS d, ${f.properties} AS p, ${f.last_seen} AS t, ${SEQ} AS seq FROM ${source.from})`;
  return runStaging(session, sql, path, PROBLEMS, options);
}

/** How flat profiles files are read and staged (planned by `planFlatLoad`). */
export const profilesFlatLoader: FlatLoader<SourceSql> = {
  parquet: parquetSource,
  csv: csvSource,
  jsonl: jsonlSource,
  stage: stageProfiles,
};
