import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { BackendConnection, BackendFactory, OpenRequest } from '../../backend/backend.js';
import { DatabaseLockedError, DatabaseNotFoundError, InvalidArgumentError } from '../../errors.js';
import { sleep } from '../../util/abort.js';
import { onProcessExit } from '../../util/exit-cleanup.js';
import { duckdbInstanceOptions } from './duckdb-config.js';
import { DUCKDB_CAPABILITIES, DuckDbConnection } from './duckdb-connection.js';
import { isLockConflict, lockHolderPid, mapDuckDbError } from './duckdb-errors.js';
import { restoreDuckDb } from './duckdb-file-backup.js';
import { acquireInstance, releaseInstance } from './duckdb-instances.js';

const LOCK_RETRY_MS = 100;

/** Where an open request puts the database, and how to clean up after it. */
interface Placement {
  readonly path: string;
  readonly fileBacked: boolean;
  readonly cleanup: () => void;
}

function place(request: OpenRequest): Placement {
  switch (request.mode) {
    case 'memory':
      return { path: ':memory:', fileBacked: false, cleanup: () => {} };
    case 'ephemeral': {
      // A private directory rather than a bare temp file: DuckDB adds `.wal` (and temp files) beside
      // the database, and removing the directory removes them all.
      const dir = mkdtempSync(join(tmpdir(), 'mp-ephemeral-'));
      const remove = () => rmSync(dir, { recursive: true, force: true });
      const unregister = onProcessExit(remove);
      return {
        path: join(dir, 'ephemeral.duckdb'),
        fileBacked: true,
        cleanup: () => {
          unregister();
          remove();
        },
      };
    }
    case 'persistent': {
      if (!request.path) {
        throw new InvalidArgumentError('A persistent DuckDB database needs a path.');
      }
      const path = resolve(request.path);
      if (request.readOnly && !existsSync(path)) throw new DatabaseNotFoundError(path);
      if (!request.readOnly) mkdirSync(dirname(path), { recursive: true });
      return { path, fileBacked: true, cleanup: () => {} };
    }
  }
}

async function openWithLockWait(request: OpenRequest, path: string, options: Record<string, string>) {
  const deadline = Date.now() + (request.lockTimeoutMs ?? 0);
  for (;;) {
    try {
      return await acquireInstance(path, request.readOnly, options);
    } catch (error) {
      if (!isLockConflict(error)) throw mapDuckDbError(error, `OPEN ${path}`, path, request.signal);
      if (Date.now() + LOCK_RETRY_MS > deadline) {
        throw new DatabaseLockedError(path, lockHolderPid(error), { cause: error });
      }
      await sleep(LOCK_RETRY_MS, request.signal, 'Waiting for the database lock');
    }
  }
}

/** DuckDB, the embedded default: one file, single writer / many readers across processes. */
export const duckdbBackend: BackendFactory = {
  name: 'duckdb',
  capabilities: DUCKDB_CAPABILITIES,
  async open(request: OpenRequest): Promise<BackendConnection> {
    const options = duckdbInstanceOptions(request.settings);
    const placement = place(request);
    let instance: Awaited<ReturnType<typeof acquireInstance>>;
    // Files are shared per process (one instance per file); every in-memory database is its own.
    const shared = placement.path !== ':memory:';
    try {
      instance = shared
        ? await openWithLockWait(request, placement.path, options)
        : await DuckDBInstance.create(':memory:', options);
    } catch (error) {
      placement.cleanup();
      throw shared ? error : mapDuckDbError(error, 'OPEN :memory:', ':memory:');
    }
    const release = () => {
      if (shared) releaseInstance(placement.path);
      else instance.closeSync();
      placement.cleanup();
    };
    try {
      const connection = await instance.connect();
      return new DuckDbConnection({
        instance,
        connection,
        location: placement.path,
        readOnly: request.readOnly,
        fileBacked: placement.fileBacked,
        settings: request.settings,
        onClose: release,
      });
    } catch (error) {
      release();
      throw mapDuckDbError(error, `OPEN ${placement.path}`, placement.path);
    }
  },
  restoreBackup: restoreDuckDb,
};
