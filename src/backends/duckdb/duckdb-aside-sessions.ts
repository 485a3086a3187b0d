import { randomBytes } from 'node:crypto';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Session, StatementOptions } from '../../backend/backend.js';
import { DatabaseClosedError } from '../../errors.js';

/**
 * Sessions beside the write transaction, each on its own DuckDB connection: with `threads = 1`
 * (the write setting on two cores) DuckDB runs each connection's statement on the thread that
 * called it, so a statement here and one in the write transaction use one core each. The owner
 * wraps the work in its bulk settings (run on the session's connection); `close()` interrupts what
 * still runs and waits for it.
 */
export class DuckDbAsideSessions {
  /**
   * The scratch database: in memory, attached to the instance, so it is never written to the
   * database file and vanishes with the process (under the memory limit DuckDB spills it to its
   * temp directory). The name is this engine's own: engines opened on one file share the instance
   * and its attachments, and a fixed name could also be the catalog name of the user's own file.
   */
  readonly database = `mp_scratch_${randomBytes(6).toString('hex')}`;
  readonly #running = new Set<{ conn: DuckDBConnection; done: Promise<unknown> }>();
  #attached = false;
  #closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly newSession: (conn: DuckDBConnection) => Session,
  ) {}

  /**
   * The statement a write transaction's connection runs first once the scratch database exists:
   * new tables still go to the connection's own database (the first entry), and a name not found
   * there is read from the scratch database, so the engine's SQL names a prepared staging table as
   * any other. Undefined while nothing was prepared.
   */
  get writeSearchPath(): string | undefined {
    return this.#attached ? `SET search_path = 'main,${this.database}'` : undefined;
  }

  async run<T>(
    work: (session: Session) => Promise<T>,
    wrap: (conn: DuckDBConnection, inner: () => Promise<T>) => Promise<T>,
    options: StatementOptions = {},
  ): Promise<T> {
    if (this.#closed) throw new DatabaseClosedError();
    const conn = await this.instance.connect();
    const stop = () => conn.interrupt();
    options.signal?.addEventListener('abort', stop, { once: true });
    const done = wrap(conn, async () => {
      await conn.run(`ATTACH IF NOT EXISTS ':memory:' AS ${this.database}`);
      this.#attached = true;
      await conn.run(`USE ${this.database}`);
      return work(this.newSession(conn));
    });
    const entry = { conn, done };
    this.#running.add(entry);
    try {
      return await done;
    } finally {
      this.#running.delete(entry);
      options.signal?.removeEventListener('abort', stop);
      conn.closeSync();
    }
  }

  /**
   * Interrupts the sessions still running, waits until they have settled, and detaches the scratch
   * database (the instance may outlive this engine when another one shares it).
   */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#running];
    for (const { conn } of running) conn.interrupt();
    await Promise.allSettled(running.map((r) => r.done));
    if (!this.#attached) return;
    const conn = await this.instance.connect();
    try {
      await conn.run(`DETACH DATABASE IF EXISTS ${this.database}`);
    } catch {
      // Best effort: an attachment left behind is empty and goes with the instance.
    } finally {
      conn.closeSync();
    }
  }
}
