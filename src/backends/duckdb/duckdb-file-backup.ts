import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type {
  BackendConnection,
  NativeBackup,
  NativeBackupOptions,
  NativeRestoreOptions,
  OpenRequest,
} from '../../backend/backend.js';
import { DatabaseLockedError, InvalidArgumentError, UnsupportedError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { duckdbInstanceOptions } from './duckdb-config.js';
import { isLockConflict, lockHolderPid, mapDuckDbError } from './duckdb-errors.js';
import { duckdbStringLiteral } from './duckdb-file-io.js';
import { isInstanceOpen } from './duckdb-instances.js';

/**
 * Backup and restore with DuckDB's own `EXPORT DATABASE` / `IMPORT DATABASE`: a directory holding
 * `schema.sql`, `load.sql` and one Parquet file per table (zstd). EXPORT reads one consistent
 * snapshot, so writers may keep working meanwhile; IMPORT rebuilds the tables (types, NOT NULL and
 * primary keys included) into a fresh file, which then replaces the target in one rename.
 */

/** The subdirectory of a backup that EXPORT DATABASE writes. */
const EXPORT_DIR = 'duckdb';
export const DUCKDB_BACKUP_METHOD = 'duckdb-export-database';

/** EXPORT DATABASE into `<directory>/duckdb`. */
export async function backupDuckDb(
  connection: BackendConnection,
  directory: string,
  options: NativeBackupOptions = {},
): Promise<NativeBackup> {
  throwIfAborted(options.signal, 'Backup');
  const target = join(directory, EXPORT_DIR);
  await connection.run(
    `EXPORT DATABASE ${duckdbStringLiteral(target)} (FORMAT PARQUET, COMPRESSION zstd)`,
    [],
    options.signal === undefined ? {} : { signal: options.signal },
  );
  const files = readdirSync(target).map((name) => `${EXPORT_DIR}/${name}`);
  return { method: DUCKDB_BACKUP_METHOD, files, details: {} };
}

/** Fails with DatabaseLockedError when another process holds the file; other open errors are ignored. */
async function assertNotLocked(path: string): Promise<void> {
  let probe: DuckDBInstance | undefined;
  try {
    probe = await DuckDBInstance.create(path, { access_mode: 'READ_WRITE' });
  } catch (error) {
    if (isLockConflict(error)) throw new DatabaseLockedError(path, lockHolderPid(error), { cause: error });
    // Not a DuckDB file (or unreadable): `force` overwrites it all the same.
  } finally {
    probe?.closeSync();
  }
}

/**
 * IMPORT DATABASE into a temporary file beside the target, then one rename over the target, so a
 * failed or aborted restore leaves the target as it was.
 */
export async function restoreDuckDb(
  directory: string,
  backup: NativeBackup,
  request: OpenRequest,
  options: NativeRestoreOptions = {},
): Promise<void> {
  if (backup.method !== DUCKDB_BACKUP_METHOD) {
    throw new InvalidArgumentError(`A ${backup.method} backup cannot be restored into DuckDB natively.`, {
      details: { method: backup.method },
    });
  }
  if (request.mode !== 'persistent' || !request.path) {
    throw new UnsupportedError('A DuckDB backup is restored into a database file: pass a path.');
  }
  const target = resolve(request.path);
  if (existsSync(target)) {
    if (!options.force) {
      throw new InvalidArgumentError(`${target} already exists; pass { force: true } to overwrite it.`, {
        details: { path: target, option: 'force' },
      });
    }
    if (isInstanceOpen(target)) {
      throw new InvalidArgumentError(
        `${target} is open in this process; close it before restoring over it.`,
        {
          details: { path: target },
        },
      );
    }
    await assertNotLocked(target);
  }
  mkdirSync(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.restore-${process.pid}-${Date.now()}`);
  const removeTemp = () => {
    rmSync(temp, { force: true });
    rmSync(`${temp}.wal`, { force: true });
  };
  try {
    throwIfAborted(options.signal, 'Restore');
    const instance = await DuckDBInstance.create(temp, duckdbInstanceOptions(request.settings));
    try {
      const connection = await instance.connect();
      const sql = `IMPORT DATABASE ${duckdbStringLiteral(join(directory, EXPORT_DIR))}`;
      const stop = () => connection.interrupt();
      options.signal?.addEventListener('abort', stop, { once: true });
      try {
        await connection.run(sql);
        await connection.run('CHECKPOINT');
      } catch (error) {
        throw mapDuckDbError(error, sql, temp, options.signal);
      } finally {
        options.signal?.removeEventListener('abort', stop);
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
    }
    throwIfAborted(options.signal, 'Restore');
    // A WAL left by the replaced database would be replayed onto the restored file.
    rmSync(`${target}.wal`, { force: true });
    renameSync(temp, target);
  } finally {
    removeTemp();
  }
}
