import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import pg from 'pg';
import type { BackendConnection, BackendFactory, OpenRequest } from '../../backend/backend.js';
import { DatabaseNotFoundError, UnsupportedError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { onProcessExit } from '../../util/exit-cleanup.js';
import { describeLocation, type PostgresConfig, resolvePostgresConfig } from './postgres-config.js';
import { POSTGRES_CAPABILITIES, PostgresConnection } from './postgres-connection.js';
import { postgresDialect } from './postgres-dialect.js';
import { mapPostgresError, sqlState } from './postgres-errors.js';
import { restorePostgres } from './postgres-file-backup.js';
import { type CatalogQuery, listEphemeralSchemas, schemaExists } from './postgres-introspector.js';
import { POSTGRES_TYPE_PARSERS } from './postgres-values.js';

/**
 * Opening a PostgreSQL workspace.
 *
 * Modes:
 * - persistent: the configured database and schema; the schema is created when missing (unless
 *   read-only, where a missing schema is {@link DatabaseNotFoundError}). The database itself must
 *   exist: creating databases needs privileges a workspace should not ask for.
 * - ephemeral: a fresh schema `mp_ephemeral_<pid>_<random>` in the configured database, dropped
 *   (CASCADE) by `close()`. At process exit, where nothing can be awaited, a `DROP SCHEMA` is written
 *   synchronously onto the socket of an idle "janitor" client kept for this purpose: the server runs
 *   it even though the client is gone. That is best effort (a crash, SIGKILL or a dropped network
 *   leaves the schema behind), so every open() also drops `mp_ephemeral_<pid>_*` schemas whose
 *   process is dead on this host (`process.kill(pid, 0)`); the schema comment records the host so a
 *   shared server never loses another machine's live schema.
 * - memory: refused ({@link UnsupportedError}); PostgreSQL is a server, not an in-process engine.
 *
 * Read-only opens set `default_transaction_read_only=on` on every pooled client, so writes fail with
 * SQLSTATE 25006 (→ ReadOnlyError). It guards against mistakes, not against a determined user, who
 * could `SET` it back; use a read-only role for that.
 *
 * An abort signal is checked between the steps of open(); connecting itself is bounded by a 15 s
 * timeout rather than cancelled.
 *
 * Locks: `lockTimeoutMs` becomes `lock_timeout` on every client, with a floor of
 * {@link MIN_LOCK_TIMEOUT_MS}. PostgreSQL's lock_timeout 0 means "wait forever", and autovacuum gives
 * up a conflicting lock only after deadlock_timeout (1 s by default), so "fail at once" would fail
 * spuriously whenever autovacuum visits a table the engine renames or drops.
 */

/** The shortest lock_timeout applied (ms); see the module comment. */
export const MIN_LOCK_TIMEOUT_MS = 1500;

/** How long connecting may take before the open fails. */
const CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long a statement may wait for a pooled connection (pg-pool applies its connection timeout to
 * that wait too). Generous, so slow neighbours delay rather than fail a call; finite, so a pool too
 * small for a stream or transaction plus the calls made meanwhile ends in an error naming pool_size
 * instead of hanging.
 */
const POOL_WAIT_TIMEOUT_MS = 60_000;

/** Settings for the janitor client: its DROP at exit may wait for our own just-closed sessions. */
const JANITOR_TIMEOUT_MS = 60_000;

/** `-c name=value` startup options; PostgreSQL splits them on whitespace unless backslash-escaped. */
function startupOptions(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value.replace(/[\\\s]/g, (c) => `\\${c}`)}`)
    .join(' ');
}

/** node-postgres TLS options for a libpq sslmode (`prefer` is resolved by {@link connectAdmin}). */
function sslOption(mode: PostgresConfig['sslmode']): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
      // libpq's require encrypts without checking the certificate.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain must verify (Node's CA store, or NODE_EXTRA_CA_CERTS); the host name is not checked.
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

function baseClientConfig(config: PostgresConfig, ssl: pg.ClientConfig['ssl']): pg.ClientConfig {
  return {
    host: config.host,
    port: config.port,
    ...(config.user === undefined ? {} : { user: config.user }),
    ...(config.password === undefined ? {} : { password: config.password }),
    database: config.database,
    ssl,
    application_name: 'mixpanel-data',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types: POSTGRES_TYPE_PARSERS,
  };
}

async function tryConnect(clientConfig: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(clientConfig);
  // An idle client whose server goes away emits 'error'; without a listener that crashes the process.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

/**
 * Connects the administrative client (schema creation, sweeping, the janitor) and settles the TLS
 * option for the pool: `prefer` tries TLS and falls back to plain TCP when the server has no TLS,
 * as libpq does.
 */
async function connectAdmin(
  config: PostgresConfig,
  location: string,
): Promise<{ admin: pg.Client; ssl: pg.ClientConfig['ssl'] }> {
  const options = startupOptions({
    TimeZone: 'UTC',
    DateStyle: 'ISO, MDY',
    lock_timeout: String(JANITOR_TIMEOUT_MS),
    statement_timeout: String(JANITOR_TIMEOUT_MS),
  });
  let ssl = sslOption(config.sslmode);
  try {
    try {
      return { admin: await tryConnect({ ...baseClientConfig(config, ssl), options }), ssl };
    } catch (error) {
      if (config.sslmode !== 'prefer' || !/does not support SSL/i.test(String((error as Error)?.message)))
        throw error;
      ssl = false;
      return { admin: await tryConnect({ ...baseClientConfig(config, ssl), options }), ssl };
    }
  } catch (error) {
    throw mapPostgresError(error, { sql: '(connect)', location, operation: 'connect' });
  }
}

function catalogOn(client: pg.Client, location: string): CatalogQuery {
  return async (sql, params) => {
    try {
      return (await client.query({ text: sql, values: [...params], rowMode: 'array' })).rows;
    } catch (error) {
      throw mapPostgresError(error, { sql, location });
    }
  };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `DROP SCHEMA … CASCADE` without the per-table NOTICEs (a NOTICE to a vanished client could abort it). */
function dropSchemaSql(schema: string): string {
  return `SET client_min_messages = warning; DROP SCHEMA IF EXISTS ${postgresDialect.quoteIdentifier(schema)} CASCADE`;
}

/**
 * Drops ephemeral schemas left by processes of this host that are gone. Best effort: a schema another
 * process is already dropping, or one we may not drop, is skipped.
 */
async function sweepStaleEphemeralSchemas(admin: pg.Client, location: string): Promise<string[]> {
  const here = hostname();
  const dropped: string[] = [];
  for (const schema of await listEphemeralSchemas(catalogOn(admin, location))) {
    if (schema.pid === process.pid || (schema.host !== undefined && schema.host !== here)) continue;
    if (isProcessAlive(schema.pid)) continue;
    try {
      await admin.query(`BEGIN; SET LOCAL lock_timeout = 1000; ${dropSchemaSql(schema.name)}; COMMIT`);
      dropped.push(schema.name);
    } catch {
      await admin.query('ROLLBACK').catch(() => {});
    }
  }
  return dropped;
}

async function createEphemeralSchema(admin: pg.Client, schema: string, location: string): Promise<void> {
  const q = postgresDialect.quoteIdentifier(schema);
  // COMMENT takes no bind parameters; the text is built from our host name and PID and escaped by the
  // driver's literal quoting. The comment is what lets a sweeper on another host leave it alone.
  const comment = pg.escapeLiteral(
    `mixpanel-data ephemeral workspace; host=${hostname()}; pid=${process.pid}`,
  );
  try {
    await admin.query(`BEGIN; CREATE SCHEMA ${q}; COMMENT ON SCHEMA ${q} IS ${comment}; COMMIT`);
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => {});
    throw mapPostgresError(error, {
      sql: `CREATE SCHEMA ${q}`,
      location,
      operation: 'create the ephemeral schema',
    });
  }
}

async function ensurePersistentSchema(admin: pg.Client, schema: string, readOnly: boolean, location: string) {
  // Checked first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
  if (await schemaExists(catalogOn(admin, location), schema)) return;
  if (readOnly) throw new DatabaseNotFoundError(location, { details: { schema } });
  const sql = `CREATE SCHEMA ${postgresDialect.quoteIdentifier(schema)}`;
  try {
    await admin.query(sql);
  } catch (error) {
    // Another process may have created it in the meantime.
    if (sqlState(error) !== '42P06' && sqlState(error) !== '23505') {
      throw mapPostgresError(error, { sql, location, operation: 'create the schema' });
    }
  }
}

/** Lets the process exit while the janitor idles: the exit hook is what it is kept for. */
function unrefClient(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: Socket } }).connection?.stream?.unref?.();
}

/** PostgreSQL: a server-backed workspace in one schema; many readers and writers across processes. */
export const postgresBackend: BackendFactory = {
  name: 'postgres',
  capabilities: POSTGRES_CAPABILITIES,
  async open(request: OpenRequest): Promise<BackendConnection> {
    if (request.mode === 'memory') {
      throw new UnsupportedError(
        "The postgres backend has no in-memory mode: PostgreSQL is a server, not an in-process engine. Use mode 'ephemeral' for a throwaway schema dropped on close, or the duckdb or sqlite backend for an in-memory database.",
        { details: { backend: 'postgres', mode: 'memory' } },
      );
    }
    const config = resolvePostgresConfig(request.settings);
    const ephemeral = request.mode === 'ephemeral';
    const schema = ephemeral
      ? `mp_ephemeral_${process.pid}_${randomBytes(6).toString('hex')}`
      : config.schema;
    const location = describeLocation(config, schema);
    const lockTimeoutMs = Math.max(request.lockTimeoutMs ?? 0, MIN_LOCK_TIMEOUT_MS);
    throwIfAborted(request.signal, 'Opening the PostgreSQL workspace');

    const { admin, ssl } = await connectAdmin(config, location);
    let keepAdmin = false;
    let unregisterExit = () => {};
    let pool: pg.Pool | undefined;
    const dropEphemeral = async () => {
      unregisterExit();
      await admin.query(dropSchemaSql(schema));
    };
    try {
      throwIfAborted(request.signal, 'Opening the PostgreSQL workspace');
      if (!request.readOnly || ephemeral) await sweepStaleEphemeralSchemas(admin, location);
      if (ephemeral) {
        await createEphemeralSchema(admin, schema, location);
        unregisterExit = onProcessExit(() => {
          // Synchronous: pg writes a simple query straight onto the idle socket. Nobody reads the reply.
          admin.query(dropSchemaSql(schema)).catch(() => {});
        });
      } else {
        await ensurePersistentSchema(admin, schema, request.readOnly, location);
      }

      const clientConfig = baseClientConfig(config, ssl);
      pool = new pg.Pool({
        ...clientConfig,
        max: config.poolSize,
        connectionTimeoutMillis: POOL_WAIT_TIMEOUT_MS,
        idleTimeoutMillis: 30_000,
        // An unclosed workspace must not keep the process alive once it is idle.
        allowExitOnIdle: true,
        options: startupOptions({
          search_path: postgresDialect.quoteIdentifier(schema),
          TimeZone: 'UTC',
          DateStyle: 'ISO, MDY',
          statement_timeout: String(config.statementTimeoutMs),
          lock_timeout: String(lockTimeoutMs),
          default_transaction_read_only: request.readOnly ? 'on' : 'off',
        }),
      });
      pool.on('error', () => {
        // An idle pooled client lost its server; the pool discards it and the next call reconnects.
      });
      // Borrow one client now, so a bad setting or a refused connection fails the open, not the first query.
      try {
        (await pool.connect()).release();
      } catch (error) {
        throw mapPostgresError(error, { sql: '(connect)', location, operation: 'connect' });
      }
      throwIfAborted(request.signal, 'Opening the PostgreSQL workspace');

      keepAdmin = ephemeral;
      if (ephemeral) unrefClient(admin);
      const openedPool = pool;
      return new PostgresConnection({
        pool: openedPool,
        config,
        schema,
        location,
        readOnly: request.readOnly,
        lockTimeoutMs,
        cancelClientConfig: clientConfig,
        onClose: async () => {
          if (!ephemeral) return;
          try {
            await dropEphemeral();
          } catch (error) {
            throw mapPostgresError(error, {
              sql: `DROP SCHEMA ${postgresDialect.quoteIdentifier(schema)} CASCADE`,
              location,
            });
          } finally {
            await admin.end().catch(() => {});
          }
        },
      });
    } catch (error) {
      await pool?.end().catch(() => {});
      if (ephemeral) await dropEphemeral().catch(() => {});
      throw error;
    } finally {
      if (!keepAdmin) await admin.end().catch(() => {});
    }
  },
  restoreBackup(directory, backup, request, options = {}) {
    return restorePostgres(directory, backup, request, options, (r) => postgresBackend.open(r));
  },
};
