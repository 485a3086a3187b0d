import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type {
  NativeBackup,
  NativeBackupOptions,
  NativeRestoreOptions,
  OpenRequest,
} from '../../backend/backend.js';
import { AbortedError, InvalidArgumentError, MixpanelDataError, UnsupportedError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { isLockError, mapSqliteError } from './sqlite-errors.js';

/**
 * Backup and restore with SQLite's online backup API (better-sqlite3's `backup()`): pages are copied
 * a step at a time between event-loop turns, readers and writers keep working, and a write by another
 * connection restarts the copy, so the file is one consistent snapshot. Restore copies the file
 * beside the target, checks it, and renames it over the target.
 */

export const SQLITE_BACKUP_METHOD = 'sqlite-online-backup';
const BACKUP_FILE = 'database.sqlite';
/** Pages copied per step: small enough to keep the event loop (and aborts) responsive. */
const PAGES_PER_STEP = 256;

/** The slice of better-sqlite3 the backup needs. */
interface BackupSource {
  backup(
    destination: string,
    options?: { progress?: (info: { totalPages: number; remainingPages: number }) => number | undefined },
  ): Promise<unknown>;
}

/** Copies the live database into `<directory>/database.sqlite`. */
export async function backupSqlite(
  db: BackupSource,
  location: string,
  directory: string,
  options: NativeBackupOptions = {},
): Promise<NativeBackup> {
  throwIfAborted(options.signal, 'Backup');
  const file = join(directory, BACKUP_FILE);
  try {
    await db.backup(file, {
      progress: () => {
        // Throwing here makes better-sqlite3 close the backup and reject with this error.
        throwIfAborted(options.signal, 'Backup');
        return PAGES_PER_STEP;
      },
    });
  } catch (error) {
    rmSync(file, { force: true });
    if (error instanceof AbortedError) throw error;
    throw mapSqliteError(error, { location, operation: 'back up the database' });
  }
  return { method: SQLITE_BACKUP_METHOD, files: [BACKUP_FILE], details: {} };
}

/** Opens `file` briefly to prove it is a sound SQLite database. */
function checkDatabaseFile(file: string): void {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const result = db.pragma('quick_check', { simple: true });
    if (result !== 'ok') {
      throw new MixpanelDataError(
        'INTERNAL',
        `The backup file failed SQLite's quick_check (${String(result)}).`,
        {
          details: { path: file },
        },
      );
    }
  } finally {
    db.close();
  }
}

/** Fails with DatabaseLockedError when another connection holds a lock on the existing target. */
function assertNotLocked(file: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
    db.exec('ROLLBACK');
  } catch (error) {
    if (isLockError(error))
      throw mapSqliteError(error, { location: file, operation: 'restore over the database' });
    // Not a SQLite file (or unreadable): `force` overwrites it all the same.
  } finally {
    db?.close();
  }
}

/** Restores `<directory>/database.sqlite` over the database file of `request`. */
export async function restoreSqlite(
  directory: string,
  backup: NativeBackup,
  request: OpenRequest,
  options: NativeRestoreOptions = {},
): Promise<void> {
  if (backup.method !== SQLITE_BACKUP_METHOD) {
    throw new InvalidArgumentError(`A ${backup.method} backup cannot be restored into SQLite natively.`, {
      details: { method: backup.method },
    });
  }
  if (request.mode !== 'persistent' || !request.path) {
    throw new UnsupportedError('A SQLite backup is restored into a database file: pass a path.');
  }
  const target = resolve(request.path);
  if (existsSync(target)) {
    if (!options.force) {
      throw new InvalidArgumentError(`${target} already exists; pass { force: true } to overwrite it.`, {
        details: { path: target, option: 'force' },
      });
    }
    assertNotLocked(target);
  }
  mkdirSync(dirname(target), { recursive: true });
  throwIfAborted(options.signal, 'Restore');
  const temp = join(dirname(target), `.${basename(target)}.restore-${process.pid}-${Date.now()}`);
  try {
    copyFileSync(join(directory, BACKUP_FILE), temp);
    checkDatabaseFile(temp);
    throwIfAborted(options.signal, 'Restore');
    // The replaced database's WAL and shared-memory index belong to the old file: SQLite would
    // otherwise apply the old WAL to the restored pages.
    rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
}
