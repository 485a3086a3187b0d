import type BetterSqlite3 from 'better-sqlite3';
import type { CatalogColumn, StorageStats } from '../../backend/backend.js';

/**
 * Catalog queries. All of them bind names as parameters: table names are customer data.
 * Only the `main` schema counts; attached and temp schemas are the caller's business.
 */
export class SqliteIntrospector {
  readonly #db: BetterSqlite3.Database;
  #dbstat: boolean | undefined;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /** User tables of `main`, SQLite's own `sqlite_*` tables excluded, sorted by name. */
  listTables(): string[] {
    return this.#db
      .prepare(
        `SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
      )
      .pluck()
      .all() as string[];
  }

  /** Columns of a table or view of `main`, or `null` when it does not exist. */
  describeTable(table: string): CatalogColumn[] | null {
    const rows = this.#db
      .prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info(?, 'main') ORDER BY cid`)
      .safeIntegers(false)
      .all(table) as { name: string; type: string; notnull: number; pk: number }[];
    if (rows.length === 0) return null;
    return rows.map((row) => ({
      name: row.name,
      type: row.type,
      nullable: row.notnull === 0,
      primaryKey: row.pk > 0,
    }));
  }

  /** True when this SQLite build has the `dbstat` virtual table (SQLITE_ENABLE_DBSTAT_VTAB). */
  hasDbstat(): boolean {
    if (this.#dbstat === undefined) {
      try {
        this.#db.prepare('SELECT 1 FROM dbstat LIMIT 0');
        this.#dbstat = true;
      } catch {
        this.#dbstat = false;
      }
    }
    return this.#dbstat;
  }

  /**
   * Database size is page_count × page_size (the committed database as this connection sees it,
   * WAL content included). Table bytes come from `dbstat` (table plus its indexes), or are `null`
   * when the build lacks it; dbstat reads every page, so this is slow on very large files.
   * memoryBytes: better-sqlite3 does not expose sqlite3_memory_used(), so it is the database size
   * for an in-memory database (the data lives in RAM) and `null` otherwise.
   */
  stats(
    location: string,
    inMemory: boolean,
    tables: readonly { name: string; rows: number }[],
  ): Omit<StorageStats, 'backend'> {
    const pageCount = Number(this.#db.pragma('page_count', { simple: true }));
    const pageSize = Number(this.#db.pragma('page_size', { simple: true }));
    const databaseBytes = pageCount * pageSize;
    const bytesByTable = new Map<string, number>();
    if (this.hasDbstat()) {
      const rows = this.#db
        .prepare(
          `SELECT m.tbl_name AS name, SUM(s.pgsize) AS bytes
             FROM dbstat('main', 1) AS s JOIN main.sqlite_schema AS m ON m.name = s.name
            GROUP BY m.tbl_name`,
        )
        .safeIntegers(false)
        .all() as { name: string; bytes: number }[];
      for (const row of rows) bytesByTable.set(row.name, row.bytes);
    }
    return {
      location,
      databaseBytes,
      memoryBytes: inMemory ? databaseBytes : null,
      tables: tables.map((table) => ({
        name: table.name,
        rows: table.rows,
        bytes: this.hasDbstat() ? (bytesByTable.get(table.name) ?? 0) : null,
      })),
    };
  }
}
