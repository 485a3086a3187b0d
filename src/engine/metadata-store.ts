import type { Session } from '../backend/backend.js';
import type { SqlDialect } from '../backend/sql-dialect.js';
import { parseJsonLossless, stringifyJson } from '../values/json-text.js';
import { PACKAGE_VERSION } from '../version.js';
import type { StoredTableMetadata, TableMetadata, TableType } from './records.js';
import { createTableSql } from './statements.js';
import { METADATA_COLUMNS, METADATA_TABLE } from './table-schemas.js';

/** Reads and writes `_metadata` rows through a session, inside the caller's transaction. */
export class MetadataStore {
  readonly #dialect: SqlDialect;
  readonly #table: string;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
    this.#table = dialect.quoteIdentifier(METADATA_TABLE);
  }

  #p(index: number): string {
    return this.#dialect.placeholder(index);
  }

  /** Creates `_metadata` when the database has none yet. */
  async ensure(session: Session, existingTables: readonly string[]): Promise<void> {
    if (!existingTables.includes(METADATA_TABLE)) {
      await session.run(createTableSql(this.#dialect, METADATA_TABLE, METADATA_COLUMNS));
    }
  }

  /** Inserts or overwrites the row for `table`. */
  async write(session: Session, table: string, metadata: TableMetadata, rowCount: number): Promise<void> {
    const now = new Date();
    await session.run(`DELETE FROM ${this.#table} WHERE table_name = ${this.#p(1)}`, [table]);
    const placeholders = METADATA_COLUMNS.map((_, i) => this.#p(i + 1)).join(', ');
    await session.run(`INSERT INTO ${this.#table} VALUES (${placeholders})`, [
      table,
      metadata.type,
      metadata.fetchedAt ?? now,
      metadata.fromDate ?? null,
      metadata.toDate ?? null,
      rowCount,
      metadata.filters ? stringifyJson(metadata.filters) : null,
      metadata.source ?? null,
      PACKAGE_VERSION,
      now,
      now,
    ]);
  }

  /** After an append: the new row count and the widened date range, computed by the caller. */
  async recordAppend(
    session: Session,
    table: string,
    update: { rowCount: number; fromDate: string | null; toDate: string | null; fetchedAt: Date },
  ): Promise<void> {
    const p = (i: number) => this.#p(i);
    await session.run(
      `UPDATE ${this.#table} SET row_count = ${p(1)}, from_date = ${p(2)}, to_date = ${p(3)}, fetched_at = ${p(4)},
         updated_at = ${p(5)} WHERE table_name = ${p(6)}`,
      [update.rowCount, update.fromDate, update.toDate, update.fetchedAt, new Date(), table],
    );
  }

  /** Removes the row for `table` (with the table's own DROP, in one transaction). */
  async remove(session: Session, table: string): Promise<void> {
    await session.run(`DELETE FROM ${this.#table} WHERE table_name = ${this.#p(1)}`, [table]);
  }

  /** Moves the row of `from` to `to`, dropping any row `to` had. */
  async rename(session: Session, from: string, to: string): Promise<void> {
    await session.run(`DELETE FROM ${this.#table} WHERE table_name = ${this.#p(1)}`, [to]);
    await session.run(
      `UPDATE ${this.#table} SET table_name = ${this.#p(1)}, updated_at = ${this.#p(2)} WHERE table_name = ${this.#p(3)}`,
      [to, new Date(), from],
    );
  }

  /** The row for `table`, or null. */
  async read(session: Session, table: string): Promise<StoredTableMetadata | null> {
    const { rows } = await session.query(
      `SELECT table_name, type, fetched_at, from_date, to_date, row_count, filters, source, package_version,
              created_at, updated_at FROM ${this.#table} WHERE table_name = ${this.#p(1)}`,
      [table],
    );
    const row = rows[0];
    return row ? toStored(row) : null;
  }

  /** Every metadata row, by table name. */
  async readAll(session: Session): Promise<Map<string, StoredTableMetadata>> {
    const { rows } = await session.query(
      `SELECT table_name, type, fetched_at, from_date, to_date, row_count, filters, source, package_version,
              created_at, updated_at FROM ${this.#table} ORDER BY table_name`,
    );
    return new Map(rows.map((row) => [String(row[0]), toStored(row)]));
  }
}

function toStored(row: unknown[]): StoredTableMetadata {
  const filters = row[6];
  return {
    tableName: String(row[0]),
    type: String(row[1]) as TableType,
    fetchedAt: asDate(row[2]),
    fromDate: asDay(row[3]),
    toDate: asDay(row[4]),
    rowCount: Number(row[5]),
    filters: typeof filters === 'string' ? (parseJsonLossless(filters) as Record<string, unknown>) : null,
    source: row[7] === null ? null : String(row[7]),
    packageVersion: String(row[8]),
    createdAt: asDate(row[9]),
    updatedAt: asDate(row[10]),
  };
}

function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function asDay(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}
