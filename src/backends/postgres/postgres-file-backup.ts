import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type {
  BackendConnection,
  NativeBackup,
  NativeBackupOptions,
  NativeRestoreOptions,
  OpenRequest,
} from '../../backend/backend.js';
import { InvalidArgumentError, UnsupportedError } from '../../errors.js';
import { type PostgresConfig, resolvePostgresConfig } from './postgres-config.js';
import { postgresDialect } from './postgres-dialect.js';
import { conninfo, exactSchemaPattern, findPostgresTool, runPostgresTool } from './postgres-tools.js';

/**
 * Backup and restore of one workspace schema with `pg_dump --format=custom` and `pg_restore`.
 *
 * pg_dump reads one snapshot (writers keep working). A dump always recreates its schema under the
 * name it was dumped from, so restoring into a different schema name restores under the dumped name
 * and renames; restoring over an existing schema moves the old one aside first and drops it only once
 * the restore (one transaction: `--single-transaction --exit-on-error`) has succeeded, or moves it
 * back on failure. When the dumped name is taken in the target database by an *empty* schema (as
 * `public` usually is), that schema is moved aside for the restore and put back afterwards; when it
 * holds tables, the restore is refused. No other schema is touched.
 */

export const POSTGRES_BACKUP_METHOD = 'pg_dump';
const DUMP_FILE = 'schema.dump';

/** What the backup needs from an open connection. */
export interface PostgresBackupSource {
  readonly connection: BackendConnection;
  readonly config: PostgresConfig;
  readonly schema: string;
}

async function serverMajor(connection: BackendConnection): Promise<number> {
  const { rows } = await connection.query('SHOW server_version_num');
  return Math.floor(Number(rows[0]?.[0]) / 10_000);
}

/** `pg_dump` of the workspace schema into `<directory>/schema.dump`. */
export async function backupPostgres(
  source: PostgresBackupSource,
  directory: string,
  options: NativeBackupOptions = {},
): Promise<NativeBackup> {
  const major = await serverMajor(source.connection);
  const tool = findPostgresTool('pg_dump', major, options.toolDirectory);
  const file = join(directory, DUMP_FILE);
  await runPostgresTool(
    tool,
    [
      '--format=custom',
      '--no-owner',
      '--no-privileges',
      `--schema=${exactSchemaPattern(source.schema)}`,
      `--file=${file}`,
      `--dbname=${conninfo(source.config)}`,
    ],
    source.config,
    options.signal,
  );
  return {
    method: POSTGRES_BACKUP_METHOD,
    files: [DUMP_FILE],
    details: { schema: source.schema, serverMajor: major, toolMajor: tool.major },
  };
}

/** True when the dump's table of contents creates its schema (`public` is assumed to exist instead). */
function dumpCreatesSchema(toc: string, schema: string): boolean {
  return toc.split('\n').some((line) => /^\d+; \d+ \d+ SCHEMA - /.test(line) && line.includes(` ${schema} `));
}

async function namespaceExists(connection: BackendConnection, schema: string): Promise<boolean> {
  const { rows } = await connection.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [
    schema,
  ]);
  return rows.length > 0;
}

async function namespaceHasRelations(connection: BackendConnection, schema: string): Promise<boolean> {
  const { rows } = await connection.query(
    'SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 LIMIT 1',
    [schema],
  );
  return rows.length > 0;
}

/**
 * Restores a dump into the schema `request` configures. `open` opens the target workspace (which
 * creates the target schema when missing); the connection is closed before returning.
 */
export async function restorePostgres(
  directory: string,
  backup: NativeBackup,
  request: OpenRequest,
  options: NativeRestoreOptions,
  open: (request: OpenRequest) => Promise<BackendConnection>,
): Promise<void> {
  const dumped = backup.details.schema;
  if (backup.method !== POSTGRES_BACKUP_METHOD || typeof dumped !== 'string') {
    throw new InvalidArgumentError(`A ${backup.method} backup cannot be restored into PostgreSQL natively.`, {
      details: { method: backup.method },
    });
  }
  if (request.mode !== 'persistent') {
    throw new UnsupportedError('A PostgreSQL backup is restored into a persistent schema.');
  }
  const config = resolvePostgresConfig(request.settings);
  const target = config.schema;
  const q = postgresDialect.quoteIdentifier;
  const connection = await open({ ...request, readOnly: false });
  try {
    const existing = await connection.listTables();
    if (existing.length > 0 && !options.force) {
      throw new InvalidArgumentError(
        `Schema '${target}' already holds tables; pass { force: true } to overwrite it.`,
        { details: { schema: target, option: 'force' } },
      );
    }
    const tool = findPostgresTool(
      'pg_restore',
      Number(backup.details.serverMajor ?? 0),
      options.toolDirectory,
    );
    const file = join(directory, DUMP_FILE);
    const toc = await runPostgresTool(tool, ['--list', file], config, options.signal);
    // `aside`: the target schema, moved away while the dump recreates it under its own name.
    // `held`: an empty schema of the dumped name (typically `public`), moved away and put back after.
    let aside: string | null = null;
    let held: string | null = null;
    const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
    if (dumped === target) {
      aside = `mp_restore_old_${suffix}`;
      await connection.run(`ALTER SCHEMA ${q(target)} RENAME TO ${q(aside)}`);
    } else if (await namespaceExists(connection, dumped)) {
      if (await namespaceHasRelations(connection, dumped)) {
        throw new UnsupportedError(
          `The backup holds schema '${dumped}', which already holds tables in this database; restore into a database without it.`,
          { details: { schema: dumped } },
        );
      }
      held = `mp_restore_hold_${suffix}`;
      await connection.run(`ALTER SCHEMA ${q(dumped)} RENAME TO ${q(held)}`);
    }
    try {
      if (!dumpCreatesSchema(toc, dumped)) await connection.run(`CREATE SCHEMA ${q(dumped)}`);
      await runPostgresTool(
        tool,
        [
          '--single-transaction',
          '--exit-on-error',
          '--no-owner',
          '--no-privileges',
          `--dbname=${conninfo(config)}`,
          file,
        ],
        config,
        options.signal,
      );
      if (dumped !== target) {
        await connection.transaction(async (session) => {
          await session.run(`DROP SCHEMA ${q(target)} CASCADE`);
          await session.run(`ALTER SCHEMA ${q(dumped)} RENAME TO ${q(target)}`);
        });
      }
    } catch (error) {
      // Undo: nothing of the dump stays, the previous schema comes back under its name.
      if (dumped !== target)
        await connection.run(`DROP SCHEMA IF EXISTS ${q(dumped)} CASCADE`).catch(() => 0);
      if (aside !== null) {
        await connection.run(`DROP SCHEMA IF EXISTS ${q(target)} CASCADE`).catch(() => 0);
        await connection.run(`ALTER SCHEMA ${q(aside)} RENAME TO ${q(target)}`).catch(() => 0);
        aside = null;
      }
      throw error;
    } finally {
      if (held !== null) await connection.run(`ALTER SCHEMA ${q(held)} RENAME TO ${q(dumped)}`);
    }
    if (aside !== null) await connection.run(`DROP SCHEMA ${q(aside)} CASCADE`);
  } finally {
    await connection.close();
  }
}
