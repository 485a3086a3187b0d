import type {
  BackendConnection,
  BackendFileIo,
  FileCompression,
  NativeFileTarget,
  NativeImportFile,
  SpoolFile,
  SqlParams,
  StatementOptions,
} from '../../backend/backend.js';
import type { ResultSet } from '../../backend/result-set.js';
import { InvalidArgumentError, UnsupportedError } from '../../errors.js';
import { duckdbDialect } from './duckdb-dialect.js';
import { engageLinesLoader } from './duckdb-engage-lines-import.js';
import { eventsFlatLoader } from './duckdb-file-import.js';
import { planFlatLoad } from './duckdb-flat-sql.js';
import { mixpanelLinesLoader } from './duckdb-mixpanel-lines-import.js';
import { profilesFlatLoader } from './duckdb-profiles-import.js';

/**
 * DuckDB's own file writer and reader: `COPY (query) TO 'file' (FORMAT …)` streams a result into
 * Parquet or CSV without materialising it, `read_parquet` streams a file back, and flat events and
 * profiles files load straight into a staging table (`duckdb-file-import.ts`,
 * `duckdb-profiles-import.ts`).
 *
 * Why the output path is a string literal rather than a bound parameter: DuckDB binds a `?` in the
 * `TO` clause *before* the query's own `?` parameters (checked: the values land in the wrong places),
 * and `EXPORT DATABASE` takes no parameter at all. The path is the caller's own file name, not
 * customer data, and {@link duckdbStringLiteral} escapes it exactly (DuckDB string literals know one
 * escape only: a doubled quote).
 */

/** A DuckDB string literal holding `text` exactly (single quotes doubled; NUL refused). */
export function duckdbStringLiteral(text: string): string {
  if (text.includes('\0')) {
    throw new InvalidArgumentError('A file path must not contain a NUL character.', {
      details: { path: text },
    });
  }
  return `'${text.replaceAll("'", "''")}'`;
}

/** COPY's codec names (fixed words, never caller text). */
const PARQUET_CODECS: Readonly<Record<FileCompression, string>> = {
  zstd: 'zstd',
  snappy: 'snappy',
  gzip: 'gzip',
  none: 'uncompressed',
};

/**
 * Parquet row groups of spool conversions. DuckDB buffers a row group per writing thread; at its
 * default (122,880 rows) converting 1M Mixpanel events peaked at 560 MB and 3M at 760 MB, at 32,768
 * rows 240 and 280 MB (order not preserved), at no measurable cost in speed.
 */
const SPOOL_ROW_GROUP = 32_768;

/** The `( … )` options of COPY for a target: only fixed words, the codec table and integers above. */
function copyOptions(target: NativeFileTarget, rowGroupSize?: number): string {
  // Keeping the order makes COPY buffer what faster threads produced: a 3M-row table export peaked
  // at 1.1 GB with it and 410 MB without (memory_limit 256MB).
  const order = target.ordered === false ? ', PRESERVE_ORDER false' : '';
  switch (target.format) {
    case 'parquet': {
      const rowGroups = rowGroupSize === undefined ? '' : `, ROW_GROUP_SIZE ${Math.trunc(rowGroupSize)}`;
      return `(FORMAT PARQUET, COMPRESSION ${PARQUET_CODECS[target.compression]}${rowGroups}${order})`;
    }
    case 'csv': {
      if (target.compression !== 'gzip' && target.compression !== 'none') {
        throw new InvalidArgumentError(
          `CSV files take gzip or none as compression, not ${target.compression}.`,
          {
            details: { option: 'compression' },
          },
        );
      }
      // ISO-8601 UTC with milliseconds: the same text the portable CSV writer produces.
      return (
        `(FORMAT CSV, HEADER true, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%gZ', ` +
        `COMPRESSION ${target.compression === 'gzip' ? 'gzip' : 'none'}${order})`
      );
    }
    case 'jsonl':
      throw new UnsupportedError(
        'The DuckDB file writer does not write JSON lines; the portable writer does.',
      );
  }
}

/** Rows written, from COPY's one-row `Count` result. */
function copiedRows(result: ResultSet): number {
  return Number(result.rows[0]?.[0] ?? 0);
}

/** The spool's DuckDB column types: JSON arrives as a JSON *string* holding the document. */
function spoolType(type: SpoolFile['columns'][number]['type']): string {
  return type === 'json' ? 'VARCHAR' : duckdbDialect.typeName(type);
}

/** Creates the file reader and writer of one DuckDB connection. */
/**
 * Runs bulk work under the connection's bulk memory limit (see DuckDbConnection). Used for spool
 * conversions, which run on a throwaway DuckDB of their own while exporting from another backend.
 */
type BulkWork = <T>(work: () => Promise<T>) => Promise<T>;

export function createDuckDbFileIo(
  connection: BackendConnection,
  bulk: BulkWork = (work) => work(),
): BackendFileIo {
  return {
    async exportQuery(
      sql: string,
      params: SqlParams,
      target: NativeFileTarget,
      options: StatementOptions = {},
    ) {
      const copy = `COPY (${sql}) TO ${duckdbStringLiteral(target.path)} ${copyOptions(target)}`;
      // The caller (io/export-table.ts) already runs the export under this connection's bulk limit.
      return copiedRows(await connection.query(copy, params, options));
    },

    async convertSpool(spool: SpoolFile, target: NativeFileTarget, options: StatementOptions = {}) {
      // Without an order to keep, rows go out as threads finish them; with one, a single thread keeps
      // it. Either way memory stays flat (preserving order across threads buffers rows).
      if (target.ordered === false) return bulk(() => convert(connection, spool, target, options));
      return bulk(() =>
        withSetting(connection, 'threads', '1', () => convert(connection, spool, target, options)),
      );
    },

    readParquet(path: string, options: StatementOptions & { readonly batchRows?: number } = {}) {
      return connection.stream('SELECT * FROM read_parquet($1)', [path], options);
    },

    planImport(file: NativeImportFile, options: StatementOptions = {}) {
      if (file.layout === 'mixpanel')
        return file.type === 'events'
          ? planFlatLoad(connection, file, options, mixpanelLinesLoader(file))
          : planFlatLoad(connection, file, options, engageLinesLoader);
      return file.type === 'events'
        ? planFlatLoad(connection, file, options, eventsFlatLoader)
        : planFlatLoad(connection, file, options, profilesFlatLoader);
    },
  };
}

/** The values {@link withSetting} may read and write. */
const SETTING_VALUE = /^(\d+|true|false)$/;

/**
 * Runs `work` with a DuckDB setting changed, restoring the previous value afterwards. SET takes no
 * parameters: the name is a fixed word and the values match {@link SETTING_VALUE}.
 */
async function withSetting<T>(
  connection: BackendConnection,
  name: 'threads',
  value: string,
  work: () => Promise<T>,
): Promise<T> {
  const { rows } = await connection.query('SELECT current_setting($1)', [name]);
  const previous = String(rows[0]?.[0]).toLowerCase();
  if (!SETTING_VALUE.test(previous) || !SETTING_VALUE.test(value)) return work();
  await connection.run(`SET ${name} = ${value}`);
  try {
    return await work();
  } finally {
    await connection.run(`SET ${name} = ${previous}`);
  }
}

async function convert(
  connection: BackendConnection,
  spool: SpoolFile,
  target: NativeFileTarget,
  options: StatementOptions,
): Promise<number> {
  const q = duckdbDialect.quoteIdentifier;
  // Keys c0…cN are ours; output names are quoted identifiers; types come from the fixed table. A
  // spool line (one row) may hold up to read_json's default 16 MB.
  const struct = spool.columns.map((c, i) => `c${i}: '${spoolType(c.type)}'`).join(', ');
  const select = spool.columns
    .map((c, i) => (c.type === 'json' ? `CAST(c${i} AS JSON) AS ${q(c.name)}` : `c${i} AS ${q(c.name)}`))
    .join(', ');
  const read = `read_json(${duckdbStringLiteral(spool.path)}, format = 'newline_delimited', columns = {${struct}})`;
  const copy =
    `COPY (SELECT ${select} FROM ${read}) TO ${duckdbStringLiteral(target.path)} ` +
    copyOptions(target, SPOOL_ROW_GROUP);
  return copiedRows(await connection.query(copy, [], options));
}
