import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Session, StatementOptions } from '../../backend/backend.js';
import { DatabaseClosedError } from '../../errors.js';

/**
 * The scratch database of work done aside from the write transaction (capability `preparesAside`):
 * an in-memory database attached to the instance, so it is never written to the database file and
 * vanishes with the process; under the memory limit DuckDB spills it to its temp directory.
 */
export const SCRATCH_DATABASE = 'mp_scratch';

/**
 * The search path of a write transaction's connection once the scratch database exists: new tables
 * still go to the connection's own database (the first entry), and a name not found there is read
 * from the scratch database, so the engine's SQL names a prepared staging table as any other.
 */
export const WRITE_SEARCH_PATH = `SET search_path = 'main,${SCRATCH_DATABASE}'`;

/**
 * Sessions beside the write transaction, each on its own DuckDB connection: with `threads = 1`
 * (the write setting on two cores) DuckDB runs each connection's statement on the thread that
 * called it, so a statement here and one in the write transaction use one core each. The owner
 * wraps the work in its bulk settings (run on the session's connection); `close()` interrupts what
 * still runs and waits for it.
 */
export class DuckDbAsideSessions {
  readonly #running = new Set<{ conn: DuckDBConnection; done: Promise<unknown> }>();
  #attached = false;
  #closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly newSession: (conn: DuckDBConnection) => Session,
  ) {}

  /** Whether the scratch database was attached (write transactions then search it). */
  get attached(): boolean {
    return this.#attached;
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
      // IF NOT EXISTS: engines opened on the same file share the instance, and so its attachments.
      await conn.run(`ATTACH IF NOT EXISTS ':memory:' AS ${SCRATCH_DATABASE}`);
      this.#attached = true;
      await conn.run(`USE ${SCRATCH_DATABASE}`);
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

  /** Interrupts the sessions still running and waits until they have settled. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#running];
    for (const { conn } of running) conn.interrupt();
    await Promise.allSettled(running.map((r) => r.done));
  }
}
