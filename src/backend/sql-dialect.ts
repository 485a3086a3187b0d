import type { ColumnType } from './column-types.js';

/** How a backend spells the few SQL fragments the engine builds. */
export interface SqlDialect {
  /** Quotes an identifier that has already been validated (doubles embedded quotes). */
  quoteIdentifier(name: string): string;
  /** The placeholder for the 1-based parameter `index` (`?` or `$1`). */
  placeholder(index: number): string;
  /** The engine's type name for a portable column type. */
  typeName(type: ColumnType): string;
  /** `a = b` that treats two NULLs as equal (`IS NOT DISTINCT FROM`, or SQLite's `IS`). */
  nullSafeEquals(left: string, right: string): string;
  /** SQL text that extracts the JSON member `key` of `column` as text (`->>`). `key` is bound. */
  jsonExtractText(column: string, keyPlaceholder: string): string;
  /**
   * SQL text that extracts the top-level member of the JSON object in `column` whose key is the
   * bound text at `keyPlaceholder`, compared literally (keys starting with `$`, holding dots,
   * slashes or quotes are plain keys, never paths). The result is text on every engine: strings
   * unquoted, numbers with their stored digits, booleans `true`/`false`, objects and arrays as JSON
   * text; NULL when the member is missing, is JSON null, or `column` is not an object. `column` may
   * be written more than once, so it must be a column reference, never text holding a placeholder.
   */
  jsonMemberText(column: string, keyPlaceholder: string): string;
  /**
   * The members of the JSON object in `column`, one row each, as a FROM item to `CROSS JOIN` after
   * the table holding `column` (it refers to that column laterally). NULL and non-object JSON yield
   * no rows. `alias` names the FROM item and must be a plain lower-case identifier. `column` may be
   * written more than once, so it must be a column reference, never text holding a placeholder.
   */
  jsonObjectMembers(column: string, alias: string): JsonMembersSql;
  /**
   * `expression` (a TIMESTAMP holding UTC time) as ISO-8601 text with milliseconds and `Z`
   * (`2024-06-01T10:00:00.000Z`), identical on every engine. NULL stays NULL.
   */
  timestampText(expression: string): string;
  /**
   * `expression` (text) under code-point ordering, for ORDER BY, min and max that agree on every
   * engine whatever the database's default collation is.
   */
  binaryCollation(expression: string): string;
  /**
   * The family of a column type as the catalog spells it (`getSchema()` types), deciding how the
   * value can be aggregated and rendered as text. Unknown types are `other`.
   */
  columnFamily(catalogType: string): ColumnFamily;
  /**
   * Optional, with {@link insertionOrder}: the integer part (truncated toward zero) of the top-level
   * member `key` of the JSON object in `column` when it is a JSON number, else NULL: the engine's
   * `_proc` rule (`engine/event-rows.ts`) in SQL. `key` is a fixed name of the engine, never user
   * input. Backends that give both let the engine write a new events table straight into place and
   * rank duplicates afterwards, instead of staging it (`createEventsInPlace` in
   * `engine/table-loading.ts`).
   */
  readonly jsonIntegerMember?: (column: string, key: string) => string;
  /** Optional: a pseudo-column numbering the rows of a fresh table in insertion order (`rowid`). */
  readonly insertionOrder?: string;
  /**
   * Optional: a fixed-width digest of a text expression (collisions allowed), for finding repeated
   * keys cheaply. The duplicate pre-filter groups digests instead of the texts: on DuckDB, 5M
   * 36-character `insert_id`s group in 0.85 s under 128 MiB instead of 1.3 s under 256 MB. A
   * collision only makes a few more rows ranked by the full key.
   */
  readonly keyDigest?: (expression: string) => string;
}

/** Portable JSON value types, the spelling `jsonObjectMembers` reports on every engine. */
export type JsonValueType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** SQL pieces that list the members of a JSON object column (see `SqlDialect.jsonObjectMembers`). */
export interface JsonMembersSql {
  /** The FROM item, aliased, to write after `CROSS JOIN`. */
  readonly from: string;
  /** Text expression: the member's key exactly as stored (case and a leading `$` kept). */
  readonly key: string;
  /** Text expression: the member value's {@link JsonValueType}. */
  readonly valueType: string;
}

/**
 * What a column holds, independent of the engine's type names: `number` (integers, decimals,
 * floats), `text`, `boolean`, `timestamp` (UTC wall-clock), `date`, `json`, or `other` (blobs,
 * arrays, zoned times the engine renders its own way...).
 */
export type ColumnFamily = 'number' | 'text' | 'boolean' | 'timestamp' | 'date' | 'json' | 'other';

/** Double-quote quoting shared by all three engines (they all follow the SQL standard here). */
export function quoteIdentifierStandard(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
