import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { BackendConnection, BackendFactory, OpenRequest } from '../../backend/backend.js';
import { type BackendCapabilities, DEFAULT_CAPABILITIES } from '../../backend/backend-capabilities.js';
import { DatabaseNotFoundError, InvalidArgumentError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { onProcessExit } from '../../util/exit-cleanup.js';
import { applySqliteConfig, type ResolvedSqliteConfig, resolveSqliteConfig } from './sqlite-config.js';
import { SqliteConnection } from './sqlite-connection.js';
import { mapSqliteError } from './sqlite-errors.js';
import { restoreSqlite } from './sqlite-file-backup.js';

/**
 * One file (or RAM) per database, one writer at a time across processes (file locks), readers
 * alongside in WAL mode. Statements block the thread and cannot be cancelled; aborts are honoured
 * between batches.
 */
const SQLITE_CAPABILITIES: BackendCapabilities = Object.freeze({
  ...DEFAULT_CAPABILITIES,
  inMemory: true,
  fileBased: true,
  concurrentWriters: false,
  nativeParquet: false,
  cancelRunningStatement: false,
  // A row store: the dedup anti-join needs a B-tree index on the event key.
  dedupNeedsIndex: true,
  cheapDropColumn: false,
  // The online backup API (sqlite-file-backup.ts).
  nativeBackup: true,
});

/** The file name inside an ephemeral database's temporary directory. */
const EPHEMERAL_FILE = 'ephemeral.sqlite';

/** Where to open, and what to do once the database is closed. */
interface Target {
  readonly file: string;
  readonly location: string;
  /** Removes an ephemeral database; safe to call more than once. */
  readonly cleanup: () => void;
}

function resolveTarget(request: OpenRequest): Target {
  if (request.readOnly && request.mode !== 'persistent') {
    throw new InvalidArgumentError(`A ${request.mode} SQLite database cannot be opened read-only.`, {
      details: { mode: request.mode },
    });
  }
  switch (request.mode) {
    case 'memory':
      return { file: ':memory:', location: ':memory:', cleanup: () => {} };
    case 'ephemeral': {
      const dir = mkdtempSync(join(tmpdir(), 'mp-ephemeral-'));
      // Removing the private directory removes the database, its -wal and -shm files with it.
      const remove = () => rmSync(dir, { recursive: true, force: true });
      // At exit the files may still be open: unlinking open files is fine on POSIX, best effort elsewhere.
      const unregister = onProcessExit(remove);
      const file = join(dir, EPHEMERAL_FILE);
      return {
        file,
        location: file,
        cleanup: () => {
          unregister();
          remove();
        },
      };
    }
    case 'persistent': {
      if (request.path === undefined || request.path === '') {
        throw new InvalidArgumentError('A persistent SQLite database needs a path.');
      }
      const file = resolve(request.path);
      if (request.readOnly) {
        if (!existsSync(file)) throw new DatabaseNotFoundError(file);
      } else {
        createDirectory(dirname(file));
      }
      return { file, location: file, cleanup: () => {} };
    }
  }
}

/** Like the DuckDB backend, a read-write open creates the database's directory when missing. */
function createDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new InvalidArgumentError(`Cannot create the directory for the database: ${dir}`, {
      cause: error,
      details: { path: dir },
    });
  }
}

/** Opens the file and applies every pragma; closes it again on failure. */
function openDatabase(file: string, location: string, readOnly: boolean, resolved: ResolvedSqliteConfig) {
  const operation = readOnly ? 'open read-only' : 'open';
  let db: Database.Database;
  try {
    db = new Database(file, {
      readonly: readOnly,
      fileMustExist: readOnly,
      timeout: resolved.config.busy_timeout,
    });
  } catch (error) {
    // The file vanished between the existence check and the open.
    if (readOnly && !existsSync(file)) throw new DatabaseNotFoundError(location, { cause: error });
    throw mapSqliteError(error, { location, operation });
  }
  try {
    // Every INTEGER is read as a bigint; sqlite-values.ts narrows it to a number when safe.
    db.defaultSafeIntegers(true);
    applySqliteConfig(db, resolved, readOnly);
    return db;
  } catch (error) {
    db.close();
    throw mapSqliteError(error, { location, operation: `${operation} (applying settings)` });
  }
}

/**
 * Modes: `persistent` opens (or creates, with its directory) the file at `path`;
 * `ephemeral` creates `mp-ephemeral-*` in the OS temp directory and removes it on close or at
 * process exit; `memory` is `:memory:`. `readOnly` (persistent only) never creates the file: a
 * missing one is DatabaseNotFoundError. Lock waits: `transaction()` polls asynchronously for up to
 * `lockTimeoutMs`; anything else that meets a lock (switching a file to WAL at open, a write outside
 * a transaction) uses SQLite's busy handler, which blocks the thread for up to that long.
 */
async function open(request: OpenRequest): Promise<BackendConnection> {
  throwIfAborted(request.signal, 'open the SQLite database');
  const resolved = resolveSqliteConfig(request.settings, request.lockTimeoutMs);
  const target = resolveTarget(request);
  let db: Database.Database;
  try {
    db = openDatabase(target.file, target.location, request.readOnly, resolved);
  } catch (error) {
    target.cleanup();
    throw error;
  }
  const separateWriter = request.mode !== 'memory' && !request.readOnly;
  return new SqliteConnection({
    db,
    capabilities: SQLITE_CAPABILITIES,
    mode: request.mode,
    location: target.location,
    readOnly: request.readOnly,
    config: resolved,
    openWriter: separateWriter ? () => openDatabase(target.file, target.location, false, resolved) : null,
    checkpointFile: separateWriter ? target.file : null,
    afterClose: target.cleanup,
  });
}

/** The SQLite backend (better-sqlite3). */
export const sqliteBackend: BackendFactory = Object.freeze({
  name: 'sqlite',
  capabilities: SQLITE_CAPABILITIES,
  open,
  restoreBackup: restoreSqlite,
});
