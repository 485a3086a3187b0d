import type { JsonValueType } from '../../backend/sql-dialect.js';
import type { StorageEngine, TableSchema } from '../../engine/storage-engine.js';
import { InvalidArgumentError } from '../../errors.js';
import { asCount } from './result-values.js';
import { SqlParameters } from './sql-parameters.js';

/** One JSON key of `propertyKeys()`. */
export interface PropertyKeyInfo {
  /** The key exactly as stored: `utm_source` and `UTM_Source`, `os` and `$os` are different keys. */
  readonly key: string;
  /** Rows whose `properties` object has this key (whatever its value, JSON null included). */
  readonly count: number;
  /** The JSON types of its values, most frequent first (ties alphabetical). */
  readonly types: readonly JsonValueType[];
}

/** Options of `propertyKeys()`. */
export interface PropertyKeysOptions {
  /** Only rows with this `event_name` (events tables). Bound as a parameter. */
  readonly event?: string;
  readonly signal?: AbortSignal;
}

/**
 * Every top-level key of the `properties` JSON column of `table`, with how many rows have it and
 * the JSON value types seen, most common key first (ties by key, code-point order). Works on events
 * and profiles tables; `TableNotFoundError` when the table does not exist, `InvalidArgumentError`
 * when it has no `properties` column (or no `event_name` column and `event` is given).
 */
export async function propertyKeys(
  storage: StorageEngine,
  table: string,
  options: PropertyKeysOptions = {},
): Promise<PropertyKeyInfo[]> {
  const { dialect } = storage;
  const schema = await storage.getSchema(table);
  requireColumn(schema, 'properties', 'list property keys');
  if (options.event !== undefined) requireColumn(schema, 'event_name', 'filter property keys by event');
  const members = dialect.jsonObjectMembers(`src.${dialect.quoteIdentifier('properties')}`, 'member');
  const params = new SqlParameters(dialect);
  const where =
    options.event === undefined
      ? ''
      : ` WHERE src.${dialect.quoteIdentifier('event_name')} = ${params.bind(options.event)}`;
  const sql =
    `SELECT ${members.key} AS property_key, ${members.valueType} AS value_type, count(*) AS n ` +
    `FROM ${dialect.quoteIdentifier(schema.name)} AS src CROSS JOIN ${members.from}${where} ` +
    `GROUP BY ${members.key}, ${members.valueType}`;
  const rows = await storage.executeObjects(
    sql,
    params.values,
    options.signal ? { signal: options.signal } : {},
  );
  return collect(rows);
}

function requireColumn(schema: TableSchema, column: string, operation: string): void {
  if (!schema.columns.some((c) => c.name === column)) {
    throw new InvalidArgumentError(
      `Cannot ${operation}: table '${schema.name}' has no '${column}' column (use an events or profiles table).`,
      { details: { table: schema.name, column } },
    );
  }
}

/** (key, type, n) rows → one entry per key; sorting happens here so it is code-point order everywhere. */
function collect(rows: readonly Record<string, unknown>[]): PropertyKeyInfo[] {
  const byKey = new Map<string, Map<JsonValueType, number>>();
  for (const row of rows) {
    const key = String(row.property_key);
    const types = byKey.get(key) ?? new Map<JsonValueType, number>();
    const type = String(row.value_type) as JsonValueType;
    types.set(type, (types.get(type) ?? 0) + asCount(row.n));
    byKey.set(key, types);
  }
  const out: PropertyKeyInfo[] = [];
  for (const [key, types] of byKey) {
    const ranked = [...types].sort(([a, an], [b, bn]) => bn - an || compareCodePoints(a, b));
    out.push({ key, count: ranked.reduce((sum, [, n]) => sum + n, 0), types: ranked.map(([type]) => type) });
  }
  return out.sort((a, b) => b.count - a.count || compareCodePoints(a.key, b.key));
}

/** Code-point order, the order the engines' binary collations give (`<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}
