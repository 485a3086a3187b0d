import type {
  BackendConnection,
  NativeImportFile,
  NativeImportPlan,
  Session,
  StatementOptions,
} from '../../backend/backend.js';
import { quoteIdentifierStandard as q } from '../../backend/sql-dialect.js';
import { InvalidRecordError } from '../../errors.js';

/**
 * SQL pieces shared by the native loaders of flat files (`duckdb-file-import.ts` for events,
 * `duckdb-profiles-import.ts` for profiles): the readers with explicit schemas, the time rules of
 * the JavaScript path (`engine/event-rows.ts` `toDate`), and the in-statement record errors.
 * Column names never reach SQL text unquoted: CSV columns are read as `c0…cN`, Parquet and JSON
 * columns are referenced by fixed field names, quoted.
 */

/** Prefix of the messages `error()` raises for a rejected row: `mp-invalid-record:<row>:<field>`. */
const BAD_RECORD = 'mp-invalid-record:';

/** An expression that aborts the statement naming row `seq` and `field` (CASE evaluates it only when reached). */
export const badRecord = (field: string, seq = 'seq') => `error('${BAD_RECORD}' || ${seq} || ':${field}')`;

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
export const toMs = (timestamp: string) => `make_timestamp(epoch_ms(${timestamp}) * 1000)`;
/** ISO text → TIMESTAMP (NULL when no layout matches: other forms are left to the JavaScript parser). */
export const fromText = (text: string) => toMs(`try_strptime(${text}, ${FORMAT_LIST})`);
/** Epoch milliseconds (an integer) → TIMESTAMP. */
export const fromEpochMs = (ms: string) => `make_timestamp(TRY_CAST(${ms} AS BIGINT) * 1000)`;

export const TIMESTAMP_TYPES = /^TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?$/;
export const INTEGER_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;

/** A Parquet time column (timestamp, ISO text or epoch ms) → TIMESTAMP, or null for another type. */
export function parquetTime(type: string, column: string): string | null {
  if (TIMESTAMP_TYPES.test(type)) return toMs(column);
  if (type === 'VARCHAR') return fromText(column);
  if (INTEGER_TYPES.test(type)) return fromEpochMs(column);
  return null;
}

/** A Parquet id column (text, or an integer written as its digits) → text, or null for another type. */
export function parquetIdText(type: string, column: string): string | null {
  if (type === 'VARCHAR') return column;
  if (INTEGER_TYPES.test(type)) return `CAST(${column} AS VARCHAR)`;
  return null;
}

/** A Parquet properties column (JSON or text) → text, or null for another type. */
export function parquetJsonText(type: string, column: string): string | null {
  return type === 'VARCHAR' || type === 'JSON' ? `CAST(${column} AS VARCHAR)` : null;
}

/** Column name → DuckDB type (upper case) of a Parquet file. */
export async function parquetColumnTypes(
  connection: BackendConnection,
  path: string,
  options: StatementOptions,
): Promise<Map<string, string>> {
  const { rows } = await connection.query('DESCRIBE SELECT * FROM read_parquet($1)', [path], options);
  return new Map(rows.map((row) => [String(row[0]), String(row[1]).toUpperCase()]));
}

/**
 * `read_csv` of a flat file, every column as text, and the column holding each field (`NULL` when
 * the header lacks it). The JavaScript reader keys a record by its header, so a repeated name keeps
 * its last column.
 */
export function csvReader(file: NativeImportFile): { from: string; at: (field: string) => string } {
  const header = file.header ?? [];
  const columns = header.map((_, i) => `c${i}: 'VARCHAR'`).join(', ');
  // RFC 4180 as this package writes it: "" is the empty string, an empty unquoted field NULL.
  const from =
    `read_csv($1, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `allow_quoted_nulls = false, compression = '${file.gzip ? 'gzip' : 'none'}', columns = {${columns}})`;
  return {
    from,
    at: (field) => {
      const index = header.lastIndexOf(field);
      return index < 0 ? 'NULL::VARCHAR' : `c${index}`;
    },
  };
}

/**
 * `read_json` of newline-delimited objects, each field read as JSON so its JSON type decides (a
 * number is not a string, as in JavaScript). A missing key and JSON null both arrive as SQL NULL.
 */
export function jsonReader(file: NativeImportFile, fields: readonly string[]): string {
  const columns = fields.map((f) => `${f}: 'JSON'`).join(', ');
  return (
    `read_json($1, format = 'newline_delimited', compression = '${file.gzip ? 'gzip' : 'uncompressed'}', ` +
    `columns = {${columns}})`
  );
}

/** The text of a JSON string field. */
export const jsonText = (field: string) => `(${q(field)} ->> '$')`;
/** The JSON type of a field (`VARCHAR`, `BIGINT`, `UBIGINT`, `DOUBLE`, `OBJECT`…). */
export const jsonKind = (field: string) => `json_type(${q(field)})`;

/** A JSON time field → TIMESTAMP: ISO text, or epoch milliseconds (fractions cut, like `new Date`). */
export function jsonTime(field: string): string {
  const f = q(field);
  return (
    `CASE ${jsonKind(field)} WHEN 'VARCHAR' THEN ${fromText(jsonText(field))} ` +
    `WHEN 'BIGINT' THEN ${fromEpochMs(f)} WHEN 'UBIGINT' THEN ${fromEpochMs(f)} ` +
    `WHEN 'DOUBLE' THEN ${fromEpochMs(`trunc(CAST(${f} AS DOUBLE))`)} END`
  );
}

/**
 * A JSON id field as text: a string, or an integer of at most 64 bits (wider ones and other types
 * are rejected; the JavaScript path reads them losslessly). NULL when absent.
 */
export function jsonId(field: string, seq = 'seq'): string {
  return (
    `CASE WHEN ${q(field)} IS NULL THEN NULL WHEN ${jsonKind(field)} = 'VARCHAR' THEN ${jsonText(field)} ` +
    `WHEN ${jsonKind(field)} IN ('BIGINT', 'UBIGINT') THEN CAST(${q(field)} AS VARCHAR) ` +
    `ELSE ${badRecord(field, seq)} END`
  );
}

/** A JSON properties field as text: an object, or a string holding the object's text (checked later). */
export function jsonProperties(field: string, seq = 'seq'): string {
  return (
    `CASE WHEN ${q(field)} IS NULL THEN NULL WHEN ${jsonKind(field)} = 'OBJECT' THEN CAST(${q(field)} AS VARCHAR) ` +
    `WHEN ${jsonKind(field)} = 'VARCHAR' THEN ${jsonText(field)} ELSE ${badRecord(field, seq)} END`
  );
}

/** `_proc` from properties `p`: `mp_processing_time_ms` truncated to an integer (NULL when not a number). */
export function processingTime(p: string): string {
  const proc = `json_extract(${p}, '$.mp_processing_time_ms')`;
  return (
    `CASE json_type(${proc}) WHEN 'DOUBLE' THEN TRY_CAST(trunc(CAST(${proc} AS DOUBLE)) AS BIGINT) ` +
    `WHEN 'BIGINT' THEN TRY_CAST(${proc} AS BIGINT) WHEN 'UBIGINT' THEN TRY_CAST(${proc} AS BIGINT) END`
  );
}

/** Properties text `p` checked: NULL for NULL or `''`, the text for a JSON object, else the row is rejected. */
export function checkedProperties(p: string, field = 'properties'): string {
  return `CASE WHEN ${p} IS NULL OR ${p} = '' THEN NULL WHEN json_type(${p}) = 'OBJECT' THEN ${p} ELSE ${badRecord(field)} END`;
}

/**
 * Runs a staging INSERT (the file path bound as `$1`); a row rejected by {@link badRecord} becomes an
 * {@link InvalidRecordError} with the row, the field and its `problems` text.
 */
export async function runStaging(
  session: Session,
  sql: string,
  path: string,
  problems: Readonly<Record<string, string>>,
  options: StatementOptions,
): Promise<number> {
  try {
    return await session.run(sql, [path], options);
  } catch (error) {
    const match = new RegExp(`${BAD_RECORD}(\\d+):([a-z_.$]+)`).exec(
      error instanceof Error ? error.message : '',
    );
    if (!match) throw error;
    const field = match[2] ?? 'record';
    throw new InvalidRecordError(Number(match[1]), field, problems[field] ?? 'is invalid', { cause: error });
  }
}

/** How one table kind reads each format (`S`: its SQL for the file, or why it cannot) and stages it. */
export interface FlatLoader<S> {
  parquet(connection: BackendConnection, path: string, options: StatementOptions): Promise<S | string>;
  csv(file: NativeImportFile): S | string;
  jsonl(file: NativeImportFile): S;
  stage(
    session: Session,
    staging: string,
    path: string,
    source: S,
    options: StatementOptions,
  ): Promise<number>;
}

/** Plans a native load of `file` with `loader`, or says why it needs the JavaScript path. */
export async function planFlatLoad<S>(
  connection: BackendConnection,
  file: NativeImportFile,
  options: StatementOptions,
  loader: FlatLoader<S>,
): Promise<NativeImportPlan> {
  const source =
    file.format === 'parquet'
      ? await loader.parquet(connection, file.path, options)
      : file.format === 'csv'
        ? loader.csv(file)
        : loader.jsonl(file);
  if (typeof source === 'string') return { native: false, reason: source };
  return {
    native: true,
    stage: (session, staging, stageOptions = {}) =>
      loader.stage(session, staging, file.path, source, stageOptions),
  };
}
