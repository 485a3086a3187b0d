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
}

/** Double-quote quoting shared by all three engines (they all follow the SQL standard here). */
export function quoteIdentifierStandard(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
