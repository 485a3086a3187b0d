import type {
  BackendConnection,
  FlatEventsFile,
  NativeImportPlan,
  Session,
  StatementOptions,
} from '../../backend/backend.js';
import { quoteIdentifierStandard as q } from '../../backend/sql-dialect.js';
import { InvalidRecordError } from '../../errors.js';

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
 * File paths are bound parameters; column names never reach SQL text (CSV columns are read as
 * `c0…cN`, Parquet columns are referenced by the fixed names below, quoted).
 */

const BAD_RECORD = 'mp-invalid-record:';

/** The columns of a flat events row. */
const FIELDS = ['event_name', 'event_time', 'distinct_id', 'insert_id', 'properties'] as const;
type Field = (typeof FIELDS)[number];

/** ISO-8601 layouts read natively (UTC: `Z` or no offset), the most common first. */
const TIME_FORMATS = [
  '%Y-%m-%dT%H:%M:%S.%gZ',
  '%Y-%m-%dT%H:%M:%SZ',
  '%Y-%m-%dT%H:%M:%S.%fZ',
  '%Y-%m-%dT%H:%M:%S.%g',
  '%Y-%m-%dT%H:%M:%S',
  '%Y-%m-%dT%H:%M:%S.%f',
  '%Y-%m-%d %H:%M:%S.%g',
  '%Y-%m-%d %H:%M:%S',
  '%Y-%m-%d %H:%M:%S.%f',
  '%Y-%m-%d',
];
const FORMAT_LIST = `[${TIME_FORMATS.map((f) => `'${f}'`).join(', ')}]`;

/** A timestamp cut to whole milliseconds (what the JavaScript path's `Date` keeps). */
const toMs = (timestamp: string) => `make_timestamp(epoch_ms(${timestamp}) * 1000)`;
/** ISO text → TIMESTAMP (NULL when no layout matches). */
const fromText = (text: string) => toMs(`try_strptime(${text}, ${FORMAT_LIST})`);
/** Epoch milliseconds (an integer) → TIMESTAMP. */
const fromEpochMs = (ms: string) => `make_timestamp(TRY_CAST(${ms} AS BIGINT) * 1000)`;

const TIMESTAMP_TYPES = /^TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?$/;
const INTEGER_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;

/** SQL expressions yielding one row's fields, typed: name/distinct/insert/properties text, time TIMESTAMP. */
interface SourceSql {
  readonly from: string;
  readonly fields: Readonly<Record<Field | 'seq', string>>;
}

/** Plans a native load of `file`, or says why it needs the JavaScript path. */
export async function planDuckDbEventsImport(
  connection: BackendConnection,
  file: FlatEventsFile,
  options: StatementOptions = {},
): Promise<NativeImportPlan> {
  const source =
    file.format === 'parquet'
      ? await parquetSource(connection, file.path, options)
      : file.format === 'csv'
        ? csvSource(file)
        : jsonlSource(file);
  if (typeof source === 'string') return { native: false, reason: source };
  return {
    native: true,
    stage: (session, staging, stageOptions) => stageEvents(session, staging, file.path, source, stageOptions),
  };
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
  const { rows } = await connection.query('DESCRIBE SELECT * FROM read_parquet($1)', [path], options);
  const types = new Map<string, string>();
  for (const row of rows) types.set(String(row[0]), String(row[1]).toUpperCase());
  const problem = shapeProblem([...types.keys()]);
  if (problem !== null) return problem;
  const type = (field: Field) => types.get(field);
  const column = (field: Field) => q(field);
  const expressions: Partial<Record<Field, string>> = {};
  if (type('event_name') !== 'VARCHAR') return `event_name is ${type('event_name')}, not text`;
  expressions.event_name = column('event_name');
  const time = type('event_time')!;
  if (TIMESTAMP_TYPES.test(time)) expressions.event_time = toMs(column('event_time'));
  else if (time === 'VARCHAR') expressions.event_time = fromText(column('event_time'));
  else if (INTEGER_TYPES.test(time)) expressions.event_time = fromEpochMs(column('event_time'));
  else return `event_time is ${time}`;
  const distinct = type('distinct_id');
  if (distinct === undefined) expressions.distinct_id = 'NULL::VARCHAR';
  else if (distinct === 'VARCHAR') expressions.distinct_id = column('distinct_id');
  else if (INTEGER_TYPES.test(distinct))
    expressions.distinct_id = `CAST(${column('distinct_id')} AS VARCHAR)`;
  else return `distinct_id is ${distinct}`;
  const insert = type('insert_id');
  if (insert === undefined) expressions.insert_id = 'NULL::VARCHAR';
  else if (insert === 'VARCHAR') expressions.insert_id = column('insert_id');
  else return `insert_id is ${insert}`;
  const properties = type('properties');
  if (properties === undefined) expressions.properties = 'NULL::VARCHAR';
  else if (properties === 'VARCHAR' || properties === 'JSON')
    expressions.properties = `CAST(${column('properties')} AS VARCHAR)`;
  else return `properties is ${properties}`;
  return {
    from: 'read_parquet($1, file_row_number = true)',
    fields: { ...(expressions as Record<Field, string>), seq: 'file_row_number + 1' },
  };
}

function csvSource(file: FlatEventsFile): SourceSql | string {
  const header = file.header ?? [];
  const problem = shapeProblem(header);
  if (problem !== null) return problem;
  // The JavaScript reader keys a record by its header, so a repeated name keeps its last column.
  const at = (field: Field) => {
    const index = header.lastIndexOf(field);
    return index < 0 ? 'NULL::VARCHAR' : `c${index}`;
  };
  const columns = header.map((_, i) => `c${i}: 'VARCHAR'`).join(', ');
  // RFC 4180 as this package writes it: "" is the empty string, an empty unquoted field NULL.
  const from =
    `read_csv($1, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `allow_quoted_nulls = false, compression = '${file.gzip ? 'gzip' : 'none'}', columns = {${columns}})`;
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

function jsonlSource(file: FlatEventsFile): SourceSql {
  // Every field read as JSON, so its JSON type decides (a number is not a string, as in JavaScript).
  const columns = FIELDS.map((f) => `${f}: 'JSON'`).join(', ');
  const from =
    `read_json($1, format = 'newline_delimited', compression = '${file.gzip ? 'gzip' : 'uncompressed'}', ` +
    `columns = {${columns}})`;
  const text = (field: Field) => `(${q(field)} ->> '$')`;
  const kind = (field: Field) => `json_type(${q(field)})`;
  // A missing key and JSON null both arrive as SQL NULL.
  const absent = (field: Field) => `${q(field)} IS NULL`;
  return {
    from,
    fields: {
      event_name: `CASE WHEN ${kind('event_name')} = 'VARCHAR' THEN ${text('event_name')} END`,
      event_time:
        `CASE ${kind('event_time')} WHEN 'VARCHAR' THEN ${fromText(text('event_time'))} ` +
        `WHEN 'BIGINT' THEN ${fromEpochMs(q('event_time'))} WHEN 'UBIGINT' THEN ${fromEpochMs(q('event_time'))} ` +
        `WHEN 'DOUBLE' THEN ${fromEpochMs(`trunc(CAST(${q('event_time')} AS DOUBLE))`)} END`,
      distinct_id:
        `CASE WHEN ${absent('distinct_id')} THEN NULL WHEN ${kind('distinct_id')} = 'VARCHAR' THEN ${text('distinct_id')} ` +
        `WHEN ${kind('distinct_id')} IN ('BIGINT', 'UBIGINT') THEN CAST(${q('distinct_id')} AS VARCHAR) ` +
        `ELSE error('${BAD_RECORD}' || seq || ':distinct_id') END`,
      insert_id:
        `CASE WHEN ${absent('insert_id')} THEN NULL WHEN ${kind('insert_id')} = 'VARCHAR' THEN ${text('insert_id')} ` +
        `ELSE error('${BAD_RECORD}' || seq || ':insert_id') END`,
      properties:
        `CASE WHEN ${absent('properties')} THEN NULL WHEN ${kind('properties')} = 'OBJECT' THEN CAST(${q('properties')} AS VARCHAR) ` +
        // A string holds the object's JSON text (as in CSV), checked like CSV's below.
        `WHEN ${kind('properties')} = 'VARCHAR' THEN ${text('properties')} ` +
        `ELSE error('${BAD_RECORD}' || seq || ':properties') END`,
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
  const bad = (field: Field) => `error('${BAD_RECORD}' || seq || ':${field}')`;
  const proc = "json_extract(p, '$.mp_processing_time_ms')";
  // error() aborts the statement; CASE evaluates it only for the rows that reach it.
  const shaped =
    `SELECT CASE WHEN n IS NULL OR n = '' THEN ${bad('event_name')} ELSE n END AS event_name, ` +
    `coalesce(t, ${bad('event_time')}) AS event_time, coalesce(d, '') AS distinct_id, nullif(i, '') AS given_id, ` +
    `CASE WHEN p IS NULL OR p = '' THEN NULL WHEN json_type(p) = 'OBJECT' THEN p ELSE ${bad('properties')} END AS properties, ` +
    `CASE json_type(${proc}) WHEN 'DOUBLE' THEN TRY_CAST(trunc(CAST(${proc} AS DOUBLE)) AS BIGINT) ` +
    `WHEN 'BIGINT' THEN TRY_CAST(${proc} AS BIGINT) WHEN 'UBIGINT' THEN TRY_CAST(${proc} AS BIGINT) END AS proc, ` +
    `seq FROM raw`;
  const sql = insertEventsWithDerivedIdsSql(
    staging,
    `raw AS (${raw}), shaped AS (${shaped})`,
    "coalesce(properties, '')",
  );
  try {
    return await session.run(sql, [path], options);
  } catch (error) {
    const match = new RegExp(`${BAD_RECORD}(\\d+):([a-z_]+)`).exec(
      error instanceof Error ? error.message : '',
    );
    if (!match) throw error;
    const field = match[2] ?? 'event_name';
    throw new InvalidRecordError(Number(match[1]), field, PROBLEMS[field] ?? 'is invalid', { cause: error });
  }
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
