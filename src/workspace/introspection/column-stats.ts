import type { ColumnFamily } from '../../backend/sql-dialect.js';
import type { StorageEngine, TableSchema } from '../../engine/storage-engine.js';
import { InvalidArgumentError } from '../../errors.js';
import { assertCount } from './assert-count.js';
import { asCount, asText } from './result-values.js';
import { SqlParameters } from './sql-parameters.js';
import { valueTextSql } from './value-text.js';

/** What `columnStats()` measured: a column of the table, or one key of its `properties` JSON. */
export type ColumnStatsTarget =
  | { readonly kind: 'column'; readonly column: string; readonly type: string }
  | { readonly kind: 'property'; readonly key: string };

/** A value and how many rows hold it. */
export interface TopValue {
  /** The value as text (numbers with their digits, timestamps ISO-8601 UTC, JSON as JSON text). */
  readonly value: string;
  readonly count: number;
}

/** The result of `columnStats()`. */
export interface ColumnStats {
  readonly table: string;
  readonly target: ColumnStatsTarget;
  /** Rows with a value (for a property: the key present and not JSON null). */
  readonly count: number;
  /** Rows without one (for a property: the key missing, or JSON null). */
  readonly nulls: number;
  readonly distinct: number;
  /** The most frequent values, most frequent first; ties by value (numbers numerically, text by code point). */
  readonly top: readonly TopValue[];
}

/** Options of `columnStats()`. */
export interface ColumnStatsOptions {
  /** How many top values. Default 10. */
  readonly top?: number;
  readonly signal?: AbortSignal;
}

const PROPERTY_PATH = /^(?:properties\.|\$\.)(.+)$/s;

/**
 * Count, nulls, distinct and top values of one column or one property of `table`. `expression` is
 * either a column name (checked against the table's schema, then quoted) or a property path
 * `properties.<key>` / `$.<key>`, where everything after the prefix is ONE top-level key, compared
 * literally (dots and a leading `$` included) and bound as a parameter, never spliced into SQL.
 * A column named exactly like the expression wins over the property reading.
 */
export async function columnStats(
  storage: StorageEngine,
  table: string,
  expression: string,
  options: ColumnStatsOptions = {},
): Promise<ColumnStats> {
  const top = options.top ?? 10;
  assertCount('top', top);
  const schema = await storage.getSchema(table);
  const target = resolveTarget(schema, expression);
  const { dialect } = storage;
  const execute = options.signal ? { signal: options.signal } : {};

  // Each statement gets its own parameters: the key's placeholder must come first in the SQL text.
  const values = (params: SqlParameters): { sql: string; family: ColumnFamily } => {
    if (target.kind === 'property') {
      const json = dialect.quoteIdentifier('properties');
      return { sql: dialect.jsonMemberText(json, params.bind(target.key)), family: 'text' };
    }
    const family = dialect.columnFamily(target.type);
    return { sql: valueTextSql(dialect, dialect.quoteIdentifier(target.column), family), family };
  };
  const from = dialect.quoteIdentifier(schema.name);

  const countParams = new SqlParameters(dialect);
  const counted = values(countParams);
  const [totals] = await storage.executeObjects(
    `SELECT count(*) AS total_rows, count(v) AS non_null, count(DISTINCT v) AS distinct_values ` +
      `FROM (SELECT ${counted.sql} AS v FROM ${from}) AS s`,
    countParams.values,
    execute,
  );

  const topParams = new SqlParameters(dialect);
  const ranked = values(topParams);
  const order = ranked.family === 'number' ? 'v' : dialect.binaryCollation('v');
  const rows = await storage.executeObjects(
    `SELECT v, count(*) AS n FROM (SELECT ${ranked.sql} AS v FROM ${from}) AS s WHERE v IS NOT NULL ` +
      `GROUP BY v ORDER BY count(*) DESC, ${order} LIMIT ${topParams.bind(top)}`,
    topParams.values,
    execute,
  );

  const count = asCount(totals?.non_null);
  return {
    table: schema.name,
    target,
    count,
    nulls: asCount(totals?.total_rows) - count,
    distinct: asCount(totals?.distinct_values),
    top: rows.map((row) => ({ value: asText(row.v) ?? '', count: asCount(row.n) })),
  };
}

function resolveTarget(schema: TableSchema, expression: string): ColumnStatsTarget {
  const column = schema.columns.find((c) => c.name === expression);
  if (column) return { kind: 'column', column: column.name, type: column.type };
  const path = PROPERTY_PATH.exec(expression);
  if (path && schema.columns.some((c) => c.name === 'properties')) {
    return { kind: 'property', key: path[1]! };
  }
  throw new InvalidArgumentError(
    `Table '${schema.name}' has no column ${JSON.stringify(expression)}` +
      (path ? " and no 'properties' column. " : '. ') +
      `Give a column name, or a property as 'properties.<key>' or '$.<key>'.`,
    { details: { table: schema.name } },
  );
}
