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
  jsonKind,
  jsonProperties,
  jsonReader,
  jsonText,
  jsonTime,
  parquetColumnTypes,
  parquetIdText,
  parquetJsonText,
  parquetTime,
  processingTime,
  runStaging,
} from './duckdb-flat-sql.js';

/**
 * Imports flat events files (Parquet, CSV, JSON lines holding the events table's columns) with
 * DuckDB's own readers, straight into an events staging table: no JavaScript per row. The SQL
 * applies the JavaScript path's rules (`engine/event-rows.ts`, `io/import-records.ts`):
 *
 * - `event_name`: a non-empty string;
 * - `event_time`: a timestamp column (cut to milliseconds, like a JavaScript `Date`), epoch
 *   milliseconds, or ISO-8601 text in UTC (`2024-06-01T10:00:00.123Z`, `…T10:00:00`, with a space,
 *   or a bare date). Other texts (offsets, other layouts) fail here and are left to the JavaScript
 *   path, whose parser takes more forms;
 * - `distinct_id`: text or an integer, `''` when absent; `insert_id`: text, derived when absent or
 *   empty (`~<sha256 of name, ms, distinct_id, properties text>-<occurrence>`, the JavaScript
 *   scheme; the hash matches it when the properties text is compact, as exports write it);
 * - `properties`: a JSON object, or NULL (also for `''`). Parquet and CSV text is validated and
 *   stored as written, JSON lines as DuckDB's JSON reader re-serialises them: integers of any
 *   length keep their exact digits either way (checked with 20+ digit values);
 * - `_proc` from `properties.mp_processing_time_ms` (truncated), `_seq` = the row's position.
 *
 * A value these rules reject aborts the statement with an {@link InvalidRecordError} naming the row
 * and field; callers then give the file to the JavaScript path, which accepts a few more forms and
 * otherwise reports the error exactly as on every other backend.
 *
 * File paths are bound parameters; the readers and time rules are shared with the profiles loader
 * (`duckdb-flat-sql.ts`).
 */

/** The columns of a flat events row. */
const FIELDS = ['event_name', 'event_time', 'distinct_id', 'insert_id', 'properties'] as const;
type Field = (typeof FIELDS)[number];

/** SQL expressions yielding one row's fields, typed: name/distinct/insert/properties text, time TIMESTAMP. */
interface SourceSql {
  readonly from: string;
  readonly fields: Readonly<Record<Field | 'seq', string>>;
}

/** Whether a row-keyed file is Mixpanel's raw shape (`event` + `properties`), which is not flat. */
function shapeProblem(names: readonly string[]): string | null {
  if (names.includes('event') && names.includes('properties')) return 'raw Mixpanel rows, not flat columns';
  for (const required of ['event_name', 'event_time']) {
    if (!names.includes(required)) return `no ${required} column`;
  }
  return null;
}

async function parquetSource(
  connection: BackendConnection,
  path: string,
  options: StatementOptions,
): Promise<SourceSql | string> {
  const types = await parquetColumnTypes(connection, path, options);
  const problem = shapeProblem([...types.keys()]);
  if (problem !== null) return problem;
  const type = (field: Field) => types.get(field);
  const column = (field: Field) => q(field);
  const expressions: Partial<Record<Field, string>> = {};
  if (type('event_name') !== 'VARCHAR') return `event_name is ${type('event_name')}, not text`;
  expressions.event_name = column('event_name');
  const time = parquetTime(type('event_time')!, column('event_time'));
  if (time === null) return `event_time is ${type('event_time')}`;
  expressions.event_time = time;
  const distinct = type('distinct_id');
  const distinctId =
    distinct === undefined ? 'NULL::VARCHAR' : parquetIdText(distinct, column('distinct_id'));
  if (distinctId === null) return `distinct_id is ${distinct}`;
  expressions.distinct_id = distinctId;
  const insert = type('insert_id');
  if (insert === undefined) expressions.insert_id = 'NULL::VARCHAR';
  else if (insert === 'VARCHAR') expressions.insert_id = column('insert_id');
  else return `insert_id is ${insert}`;
  const properties = type('properties');
  const propertiesText =
    properties === undefined ? 'NULL::VARCHAR' : parquetJsonText(properties, column('properties'));
  if (propertiesText === null) return `properties is ${properties}`;
  expressions.properties = propertiesText;
  return {
    from: 'read_parquet($1, file_row_number = true)',
    fields: { ...(expressions as Record<Field, string>), seq: 'file_row_number + 1' },
  };
}

function csvSource(file: NativeImportFile): SourceSql | string {
  const problem = shapeProblem(file.header ?? []);
  if (problem !== null) return problem;
  const { from, at } = csvReader(file);
  return {
    from,
    fields: {
      event_name: at('event_name'),
      event_time: fromText(at('event_time')),
      distinct_id: at('distinct_id'),
      insert_id: at('insert_id'),
      properties: at('properties'),
      seq: 'row_number() OVER ()',
    },
  };
}

function jsonlSource(file: NativeImportFile): SourceSql {
  return {
    from: jsonReader(file, FIELDS),
    fields: {
      event_name: `CASE WHEN ${jsonKind('event_name')} = 'VARCHAR' THEN ${jsonText('event_name')} END`,
      event_time: jsonTime('event_time'),
      distinct_id: jsonId('distinct_id'),
      insert_id:
        `CASE WHEN ${q('insert_id')} IS NULL THEN NULL WHEN ${jsonKind('insert_id')} = 'VARCHAR' THEN ${jsonText('insert_id')} ` +
        `ELSE ${badRecord('insert_id')} END`,
      properties: jsonProperties('properties'),
      seq: 'seq',
    },
  };
}

const PROBLEMS: Readonly<Record<string, string>> = {
  event_name: 'must be a non-empty string',
  event_time: 'is not a time the native reader parses',
  distinct_id: 'must be a string or an integer',
  insert_id: 'must be a string',
  properties: 'must be a JSON object',
};

async function stageEvents(
  session: Session,
  staging: string,
  path: string,
  source: SourceSql,
  options: StatementOptions = {},
): Promise<number> {
  const f = source.fields;
  // JSON lines number their rows before the fields are shaped (their CASEs name the row).
  const read =
    f.seq === 'seq'
      ? `SELECT *, row_number() OVER () AS seq FROM ${source.from}`
      : `SELECT * FROM ${source.from}`;
  const raw =
    `SELECT ${f.event_name} AS n, ${f.event_time} AS t, ${f.distinct_id} AS d, ${f.insert_id} AS i, ` +
    `${f.properties} AS p, ${f.seq} AS seq FROM (${read})`;
  // error() aborts the statement; CASE evaluates it only for the rows that reach it.
  const shaped =
    `SELECT CASE WHEN n IS NULL OR n = '' THEN ${badRecord('event_name')} ELSE n END AS event_name, ` +
    `coalesce(t, ${badRecord('event_time')}) AS event_time, coalesce(d, '') AS distinct_id, nullif(i, '') AS given_id, ` +
    `${checkedProperties('p')} AS properties, ${processingTime('p')} AS proc, ` +
    `seq FROM raw`;
  const sql = insertEventsWithDerivedIdsSql(
    staging,
    `raw AS (${raw}), shaped AS (${shaped})`,
    "coalesce(properties, '')",
  );
  return runStaging(session, sql, path, PROBLEMS, options);
}

/**
 * The INSERT of shaped events (`shaped`: event_name, event_time, distinct_id, given_id, properties,
 * proc, seq) into an events staging table. Rows with an id pass straight through; only the rows
 * without one pay for the window that numbers identical events (the JavaScript path's derived id,
 * hashing `propertiesText`). `duckdb-mixpanel-export.ts` builds the same statement.
 */
export function insertEventsWithDerivedIdsSql(staging: string, ctes: string, propertiesText: string): string {
  const derivedHash =
    `substr(sha256(event_name || chr(0) || CAST(epoch_ms(event_time) AS VARCHAR) || chr(0) || distinct_id || ` +
    `chr(0) || ${propertiesText}), 1, 24)`;
  return (
    `INSERT INTO ${q(staging)} (event_name, event_time, distinct_id, insert_id, properties, _proc, _seq) ` +
    `WITH ${ctes} ` +
    'SELECT event_name, event_time, distinct_id, given_id, properties, proc, seq FROM shaped WHERE given_id IS NOT NULL ' +
    "UNION ALL SELECT event_name, event_time, distinct_id, '~' || h || '-' || CAST(row_number() OVER (PARTITION BY h ORDER BY seq) AS VARCHAR), " +
    `properties, proc, seq FROM (SELECT *, ${derivedHash} AS h FROM shaped WHERE given_id IS NULL)`
  );
}

/** How flat events files are read and staged (planned by `planFlatLoad`). */
export const eventsFlatLoader: FlatLoader<SourceSql> = {
  parquet: parquetSource,
  csv: csvSource,
  jsonl: jsonlSource,
  stage: stageEvents,
};
