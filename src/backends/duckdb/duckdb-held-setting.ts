import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * An instance-wide DuckDB setting (`memory_limit`, `threads`) held for the length of some work.
 * SET is not transactional and applies to every connection of the instance, so overlapping work (a
 * write transaction, an export, a preparation beside a write) shares one hold: the first to start
 * SETs the value, the last to end RESETs it, and the statements apply in that order (a RESET at
 * the end of one write cannot land after the SET of the next). A SET that fails leaves no hold.
 */
export class HeldSetting {
  #holders = 0;
  /** SET and RESET statements, applied in the order the holds asked for them. */
  #applied: Promise<void> = Promise.resolve();

  constructor(private readonly name: 'memory_limit' | 'threads') {}

  /**
   * Runs `work` with the setting at `literal` (SQL: a validated size in quotes, a whole number),
   * SET and RESET on `conn`. `canReset` is asked at the end: false once the connection is closed.
   * Only memory and speed depend on the setting: a failed RESET is ignored.
   */
  async hold<T>(
    conn: DuckDBConnection,
    literal: string,
    work: () => Promise<T>,
    canReset: () => boolean = () => true,
  ): Promise<T> {
    if (this.#holders++ === 0) {
      try {
        await this.#apply(conn, `SET ${this.name} = ${literal}`);
      } catch (error) {
        this.#holders--;
        throw error;
      }
    } else {
      await this.#applied; // the first holder's SET
    }
    try {
      return await work();
    } finally {
      if (--this.#holders === 0 && canReset())
        await this.#apply(conn, `RESET ${this.name}`).catch(() => undefined);
    }
  }

  #apply(conn: DuckDBConnection, sql: string): Promise<void> {
    const run = this.#applied.then(async () => {
      await conn.run(sql);
    });
    this.#applied = run.catch(() => undefined);
    return run;
  }
}
