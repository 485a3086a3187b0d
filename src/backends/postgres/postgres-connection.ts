import pg from 'pg';
import type {
  AppliedSetting,
  BackendConnection,
  CatalogColumn,
  NativeBackup,
  NativeBackupOptions,
  Session,
  SqlParams,
  StatementOptions,
  StorageStats,
} from '../../backend/backend.js';
import { DEFAULT_CAPABILITIES } from '../../backend/backend-capabilities.js';
import type { ColumnDef, WriteValue } from '../../backend/column-types.js';
import type { ResultColumn, ResultSet } from '../../backend/result-set.js';
import { BackendUnavailableError, DatabaseClosedError, MixpanelDataError, QueryError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { type PostgresConfig, postgresKey, readAppliedSettings } from './postgres-config.js';
import { POSTGRES_BUILTIN_TYPE_NAMES, postgresDialect } from './postgres-dialect.js';
import { isConnectionFailure, mapPostgresError } from './postgres-errors.js';
import { backupPostgres } from './postgres-file-backup.js';
import {
  type CatalogQuery,
  describePostgresTable,
  listPostgresTables,
  postgresSchemaBytes,
  postgresTableBytes,
  postgresTypeNames,
} from './postgres-introspector.js';
import { copyRowsIn } from './postgres-table-writer.js';
import { toPostgresParam } from './postgres-values.js';

export const POSTGRES_CAPABILITIES = Object.freeze({
  ...DEFAULT_CAPABILITIES,
  concurrentWriters: true,
  cancelRunningStatement: true,
  // A row store: the engine's NOT EXISTS anti-joins need a B-tree on the key to stay fast.
  dedupNeedsIndex: true,
  cheapDropColumn: true,
  // pg_dump / pg_restore (postgres-file-backup.ts); missing tools make backupTo reject with UnsupportedError.
  nativeBackup: true,
});

/** What the connection needs from `open()`. */
export interface PostgresConnectionInit {
  readonly pool: pg.Pool;
  readonly config: PostgresConfig;
  /** The schema on every pooled client's search_path (configured, or the ephemeral one). */
  readonly schema: string;
  readonly location: string;
  readonly readOnly: boolean;
  /** The lock_timeout applied to every pooled client, in ms. */
  readonly lockTimeoutMs: number;
  /** Connection settings for the short-lived client that cancels a running statement. */
  readonly cancelClientConfig: pg.ClientConfig;
  /** Runs once after the pool has ended: drops an ephemeral schema, ends the janitor client. */
  readonly onClose: () => Promise<void>;
}

type Client = pg.ClientBase;

/** A result as pg returns it with `rowMode: 'array'`. */
interface ArrayResult {
  readonly command: string;
  readonly rowCount: number | null;
  readonly rows: unknown[][];
  readonly fields: readonly { readonly name: string; readonly dataTypeID: number }[];
}

/** SQLSTATEs with which DECLARE refuses a statement that is not a plain query (SHOW, INSERT…). */
const NOT_A_CURSOR_QUERY = new Set(['42601', '0A000']);

/** State shared by a connection and the sessions of its transactions. */
class Shared {
  readonly typeNames = new Map<number, string>(POSTGRES_BUILTIN_TYPE_NAMES);
  closed = false;
  cursorSeq = 0;

  constructor(readonly init: PostgresConnectionInit) {}

  get location(): string {
    return this.init.location;
  }

  /**
   * Cancels whatever backend `pid` is running, from a separate short-lived connection (the pool may
   * be exhausted, and the busy client cannot speak). Best effort: errors are ignored, the statement
   * then simply runs to its end.
   */
  async cancel(pid: number | undefined): Promise<void> {
    if (pid === undefined) return;
    const client = new pg.Client(this.init.cancelClientConfig);
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid]);
    } catch {
      // The statement may have finished, or the server is gone; nothing left to cancel either way.
    } finally {
      await client.end().catch(() => {});
    }
  }

  /**
   * Runs one statement on `client`, mapping errors. On abort, the statement is cancelled with
   * `pg_cancel_backend`, and the call does not return before that cancel has been delivered: the
   * client stays checked out until then, so the cancel cannot hit a later statement.
   */
  async execute(
    client: Client,
    sql: string,
    params: SqlParams | undefined,
    signal: AbortSignal | undefined,
    errorSql: string = sql,
  ): Promise<ArrayResult> {
    throwIfAborted(signal, 'Query');
    let cancelling: Promise<void> | undefined;
    // pg records the server process id from BackendKeyData; it is not in the type definitions.
    const pid = (client as unknown as { processID?: number }).processID;
    const onAbort = () => {
      cancelling = this.cancel(pid);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const raw: unknown = await client.query({
        text: sql,
        values: params?.map(toPostgresParam),
        rowMode: 'array',
      });
      // A multi-statement text (no parameters) yields one result per statement: report the last.
      const results = (Array.isArray(raw) ? raw : [raw]) as ArrayResult[];
      if (results.length === 1) return results[0]!;
      const rowCount = results.reduce((sum, r) => sum + (r.rowCount ?? 0), 0);
      const last = results[results.length - 1]!;
      return { ...last, rowCount };
    } catch (error) {
      throw mapPostgresError(error, { sql: errorSql, location: this.location, signal });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (cancelling) await cancelling;
    }
  }

  /** Result columns with readable type names; unknown type OIDs are looked up once on `client`. */
  async columns(client: Client, fields: ArrayResult['fields']): Promise<ResultColumn[]> {
    const missing = [...new Set(fields.map((f) => f.dataTypeID).filter((oid) => !this.typeNames.has(oid)))];
    if (missing.length > 0) {
      const found = await postgresTypeNames(
        async (sql, params) => (await this.execute(client, sql, params, undefined)).rows,
        missing,
      );
      for (const oid of missing) this.typeNames.set(oid, found.get(oid) ?? `oid ${oid}`);
    }
    return fields.map((f) => ({
      name: f.name,
      type: this.typeNames.get(f.dataTypeID) ?? `oid ${f.dataTypeID}`,
    }));
  }
}

/** True when the error left the client unusable, so it must be discarded rather than pooled. */
function breaksClient(error: unknown): boolean {
  return (
    isConnectionFailure(error) || (error instanceof MixpanelDataError && isConnectionFailure(error.cause))
  );
}

/** The statements of {@link Session}, over whichever client `withClient` lends. */
abstract class PostgresSessionBase implements Session {
  constructor(protected readonly shared: Shared) {}

  protected abstract withClient<T>(work: (client: Client) => Promise<T>): Promise<T>;

  async run(sql: string, params?: SqlParams, options?: StatementOptions): Promise<number> {
    return this.withClient(async (client) => {
      const result = await this.shared.execute(client, sql, params, options?.signal);
      return result.rowCount ?? 0;
    });
  }

  async query(sql: string, params?: SqlParams, options?: StatementOptions): Promise<ResultSet> {
    return this.withClient(async (client) => {
      const result = await this.shared.execute(client, sql, params, options?.signal);
      return { columns: await this.shared.columns(client, result.fields), rows: result.rows };
    });
  }

  async appendRows(
    table: string,
    columns: readonly ColumnDef[],
    rows: AsyncIterable<readonly (readonly WriteValue[])[]>,
    options?: StatementOptions,
  ): Promise<number> {
    return this.withClient(async (client) => {
      try {
        return await copyRowsIn(client, table, columns, rows, options);
      } catch (error) {
        throw mapPostgresError(error, {
          sql: `COPY ${postgresDialect.quoteIdentifier(table)} FROM STDIN`,
          location: this.shared.location,
          operation: `append rows to table '${table}'`,
          signal: options?.signal,
        });
      }
    });
  }
}

/** The session handed to a transaction's callback: every call runs on the transaction's client. */
class PostgresTransactionSession extends PostgresSessionBase {
  #ended = false;

  constructor(
    shared: Shared,
    private readonly client: Client,
  ) {
    super(shared);
  }

  end(): void {
    this.#ended = true;
  }

  protected async withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
    if (this.#ended) {
      throw new MixpanelDataError(
        'INTERNAL',
        'This transaction has ended; its session can no longer be used.',
      );
    }
    return work(this.client);
  }
}

/**
 * The PostgreSQL implementation of {@link BackendConnection}: a pg Pool whose clients all start with
 * the workspace schema as search_path, TimeZone=UTC, the statement and lock timeouts, and (read-only
 * opens) `default_transaction_read_only=on`. Plain calls borrow a client per statement; `stream()`
 * and `transaction()` keep one client for their whole duration.
 */
export class PostgresConnection extends PostgresSessionBase implements BackendConnection {
  readonly name = 'postgres' as const;
  readonly capabilities = POSTGRES_CAPABILITIES;
  readonly dialect = postgresDialect;
  readonly location: string;
  readonly readOnly: boolean;
  readonly #init: PostgresConnectionInit;
  #closing: Promise<void> | undefined;

  constructor(init: PostgresConnectionInit) {
    super(new Shared(init));
    this.#init = init;
    this.location = init.location;
    this.readOnly = init.readOnly;
  }

  /** The pg Pool. */
  get native(): pg.Pool {
    return this.#init.pool;
  }

  private async acquire(): Promise<pg.PoolClient> {
    if (this.shared.closed) throw new DatabaseClosedError();
    const { pool } = this.#init;
    try {
      return await pool.connect();
    } catch (error) {
      if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
        if (pool.totalCount >= (pool.options.max ?? 0)) {
          throw new BackendUnavailableError(
            'postgres',
            `all ${pool.options.max} pooled connections to ${this.location} stayed busy; ` +
              `raise ${postgresKey('pool_size')} (a stream or transaction holds one connection until it ends).`,
            { cause: error, details: { location: this.location } },
          );
        }
      }
      throw mapPostgresError(error, { sql: '(connect)', location: this.location, operation: 'connect' });
    }
  }

  protected async withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let broken = false;
    try {
      return await work(client);
    } catch (error) {
      broken = breaksClient(error);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private catalog(): CatalogQuery {
    return (sql, params) =>
      this.withClient(async (client) => (await this.shared.execute(client, sql, params, undefined)).rows);
  }

  /**
   * Streams through a server-side cursor (`DECLARE … NO SCROLL CURSOR` in a transaction, then
   * `FETCH FORWARD batchRows`), so memory holds one batch. The cursor's transaction ends and the
   * client returns to the pool in `finally`: on completion, error, abort and early `break` alike.
   * Statements a cursor cannot wrap (SHOW, INSERT … RETURNING…) run once and are sliced into batches.
   */
  async *stream(
    sql: string,
    params?: SqlParams,
    options: StatementOptions & { readonly batchRows?: number } = {},
  ): AsyncIterable<ResultSet> {
    const batchRows = Math.max(1, Math.floor(options.batchRows ?? 10_000));
    const { signal } = options;
    throwIfAborted(signal, 'Query');
    const shared = this.shared;
    const client = await this.acquire();
    const cursor = `mp_cursor_${++shared.cursorSeq}`;
    let inTransaction = false;
    let failed = false;
    let broken = false;
    try {
      await shared.execute(client, 'BEGIN', undefined, signal);
      inTransaction = true;
      let declared = true;
      try {
        // The caller's SQL follows DECLARE verbatim; its parameters bind to the cursor's query.
        await shared.execute(client, `DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, params, signal, sql);
      } catch (error) {
        const state = error instanceof MixpanelDataError ? error.details.sqlState : undefined;
        if (typeof state !== 'string' || !NOT_A_CURSOR_QUERY.has(state)) throw error;
        declared = false;
      }
      if (!declared) {
        await shared.execute(client, 'ROLLBACK', undefined, undefined);
        inTransaction = false;
        const result = await shared.execute(client, sql, params, signal);
        const columns = await shared.columns(client, result.fields);
        for (let i = 0; i < result.rows.length; i += batchRows) {
          throwIfAborted(signal, 'Query');
          yield { columns, rows: result.rows.slice(i, i + batchRows) };
        }
        return;
      }
      let columns: ResultColumn[] | undefined;
      for (;;) {
        throwIfAborted(signal, 'Query');
        const result = await shared.execute(
          client,
          `FETCH FORWARD ${batchRows} FROM ${cursor}`,
          undefined,
          signal,
          sql,
        );
        if (result.rows.length === 0) break;
        columns ??= await shared.columns(client, result.fields);
        yield { columns, rows: result.rows };
        if (result.rows.length < batchRows) break;
      }
    } catch (error) {
      failed = true;
      broken = breaksClient(error);
      throw error;
    } finally {
      if (inTransaction && !broken) {
        try {
          // COMMIT also closes the cursor; after a failure the transaction is aborted, so roll back.
          await client.query(failed ? 'ROLLBACK' : 'COMMIT');
        } catch {
          broken = true;
        }
      }
      client.release(broken);
    }
  }

  /**
   * BEGIN … COMMIT on one pinned client; the callback's session runs every call on it. If the
   * callback throws, ROLLBACK. If a statement failed inside but the callback swallowed the error,
   * PostgreSQL turns COMMIT into ROLLBACK; that is reported as a {@link QueryError} instead of
   * pretending the work was saved. Transactions on one connection may run concurrently (each has
   * its own client); they are not nested.
   */
  async transaction<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    const session = new PostgresTransactionSession(this.shared, client);
    let broken = false;
    try {
      await this.shared.execute(client, 'BEGIN', undefined, undefined);
      let value: T;
      try {
        value = await work(session);
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection died with the transaction; the server rolls it back
        }
        throw error;
      }
      const commit = await this.shared.execute(client, 'COMMIT', undefined, undefined);
      if (commit.command === 'ROLLBACK') {
        throw new QueryError(
          'The transaction was rolled back: a statement inside it failed, so PostgreSQL refused to commit.',
          'COMMIT',
        );
      }
      return value;
    } catch (error) {
      broken ||= breaksClient(error);
      throw error;
    } finally {
      session.end();
      client.release(broken);
    }
  }

  async listTables(): Promise<string[]> {
    return listPostgresTables(this.catalog(), this.#init.schema);
  }

  async describeTable(table: string): Promise<CatalogColumn[] | null> {
    return describePostgresTable(this.catalog(), this.#init.schema, table);
  }

  /** Settings read back from a pooled client, so they are what statements actually run with. */
  async settings(): Promise<AppliedSetting[]> {
    return readAppliedSettings(this.catalog(), this.#init.config, this.#init.pool.options.max ?? 0);
  }

  /**
   * Table sizes from `pg_total_relation_size` (heap, indexes and TOAST) and their total over the
   * schema as `databaseBytes`. `memoryBytes` is null: a PostgreSQL server's memory is shared by every
   * database and session on it, so no figure belongs to this workspace.
   */
  async stats(tables: readonly { name: string; rows: number }[]): Promise<StorageStats> {
    const query = this.catalog();
    const bytes = await postgresTableBytes(
      query,
      this.#init.schema,
      tables.map((t) => t.name),
    );
    const total = await postgresSchemaBytes(query, this.#init.schema);
    return {
      backend: 'postgres',
      location: this.location,
      databaseBytes: total,
      memoryBytes: null,
      tables: tables.map((t) => ({ name: t.name, rows: t.rows, bytes: bytes.get(t.name) ?? null })),
    };
  }

  /** `pg_dump` of the workspace schema into `directory` (capability `nativeBackup`). */
  backupTo(directory: string, options?: NativeBackupOptions): Promise<NativeBackup> {
    if (this.shared.closed) throw new DatabaseClosedError();
    return backupPostgres(
      { connection: this, config: this.#init.config, schema: this.#init.schema },
      directory,
      options,
    );
  }

  /** Ends the pool (waiting for borrowed clients), then drops an ephemeral schema. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.shared.closed = true;
    try {
      await this.#init.pool.end();
    } finally {
      await this.#init.onClose();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
