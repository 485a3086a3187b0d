import type { StorageEngine } from '../../engine/storage-engine.js';
import { asCount, asNumberOrNull, asText } from './result-values.js';
import { extremeTextSql } from './value-text.js';

/** One column of `summarize()`. */
export interface ColumnSummary {
  readonly name: string;
  /** The engine's type name, as `getSchema()` reports it. */
  readonly type: string;
  /** Rows where the column is not NULL. */
  readonly count: number;
  /** Rows where the column is NULL. */
  readonly nulls: number;
  /** Distinct non-NULL values (JSON documents compared as text). */
  readonly distinct: number;
  /**
   * Smallest and largest value as text: numbers with their digits, timestamps as ISO-8601 UTC, text by
   * code point, booleans `false` < `true`; null for JSON columns and for a column of only NULLs.
   */
  readonly min: string | null;
  readonly max: string | null;
  /** Mean of a numeric column; null for other columns and for a column of only NULLs. */
  readonly avg: number | null;
}

/** Options of `summarize()`. */
export interface SummarizeOptions {
  readonly signal?: AbortSignal;
}

/**
 * Per-column statistics of `table` (one query per column, in table order). Column names come from
 * the catalog and are quoted; `TableNotFoundError` when the table does not exist.
 */
export async function summarize(
  storage: StorageEngine,
  table: string,
  options: SummarizeOptions = {},
): Promise<ColumnSummary[]> {
  const { dialect } = storage;
  const schema = await storage.getSchema(table);
  const from = dialect.quoteIdentifier(schema.name);
  const out: ColumnSummary[] = [];
  for (const column of schema.columns) {
    const c = dialect.quoteIdentifier(column.name);
    const family = dialect.columnFamily(column.type);
    // JSON documents and unknown types are compared as text: PostgreSQL's json has no equality.
    const comparable =
      family === 'json' || family === 'other' ? `CAST(${c} AS ${dialect.typeName('string')})` : c;
    const avg = family === 'number' ? `CAST(avg(${c}) AS ${dialect.typeName('float64')})` : 'NULL';
    const sql =
      `SELECT count(*) AS total_rows, count(${c}) AS non_null, count(DISTINCT ${comparable}) AS distinct_values, ` +
      `${extremeTextSql(dialect, 'min', c, family)} AS min_value, ` +
      `${extremeTextSql(dialect, 'max', c, family)} AS max_value, ${avg} AS avg_value FROM ${from}`;
    const [row] = await storage.executeObjects(sql, [], options.signal ? { signal: options.signal } : {});
    const total = asCount(row?.total_rows);
    const count = asCount(row?.non_null);
    out.push({
      name: column.name,
      type: column.type,
      count,
      nulls: total - count,
      distinct: asCount(row?.distinct_values),
      min: asText(row?.min_value),
      max: asText(row?.max_value),
      avg: asNumberOrNull(row?.avg_value),
    });
  }
  return out;
}
