import type { SqlDialect } from '../../backend/sql-dialect.js';

/**
 * Collects bound values while a statement is built and hands out the dialect's placeholders.
 * Call `bind` in the order the placeholders appear in the SQL text: SQLite's `?` are positional.
 */
export class SqlParameters {
  readonly #dialect: SqlDialect;
  readonly #values: unknown[] = [];

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }

  /** Binds `value` and returns the placeholder to write where it belongs. */
  bind(value: unknown): string {
    this.#values.push(value);
    return this.#dialect.placeholder(this.#values.length);
  }

  /** The bound values, in placeholder order. */
  get values(): readonly unknown[] {
    return this.#values;
  }
}
