import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_WAL_BYTES, SqliteCheckpointer } from '../../src/backends/sqlite/sqlite-checkpointer.js';
import { StorageEngine } from '../../src/index.js';
import { requireBuild, spawnFixture, waitForExit, waitForLine } from '../support/child-process.js';
import { tempDir } from '../support/temp-dir.js';

// Commits on the writer connection do not checkpoint the WAL on the JavaScript thread: a worker
// thread does it afterwards (sqlite-checkpointer.ts). Nobody else checkpoints while the database
// stays open, so the main file growing to hold the rows proves the worker ran.

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** A WAL database whose last transaction (~12 MB) is still only in the WAL. */
function walOnlyDatabase(dir: string): { file: string; db: Database.Database } {
  const file = join(dir, 'wal.db');
  const db = new Database(file);
  db.pragma('journal_mode = wal');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (i INTEGER, s TEXT)');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 40_000; i++) insert.run(i, 'x'.repeat(300));
  })();
  return { file, db };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

describe('SQLite background checkpoints', () => {
  it('copy a large commit from the WAL into the file on a worker thread', async () => {
    const { file, db } = walOnlyDatabase(tempDir('mp-ckpt-'));
    try {
      expect(size(`${file}-wal`)).toBeGreaterThan(CHECKPOINT_WAL_BYTES);
      const before = size(file);
      expect(before).toBeLessThan(100_000); // the rows are only in the WAL
      let failed = false;
      const checkpointer = new SqliteCheckpointer(file, () => {
        failed = true;
      });
      checkpointer.afterCommit();
      await checkpointer.close(); // waits for the running checkpoint
      expect(failed).toBe(false);
      expect(size(file)).toBeGreaterThan(10_000_000);
      // What the worker copied is what was committed.
      const reader = new Database(file, { readonly: true });
      try {
        expect(reader.prepare('SELECT count(*) AS n, sum(i) AS s FROM t').get()).toEqual({
          n: 40_000,
          s: (40_000 * 39_999) / 2,
        });
      } finally {
        reader.close();
      }
    } finally {
      db.close();
    }
  });

  it('skip small WALs, and hand checkpoints back to SQLite when the worker fails', async () => {
    const dir = tempDir('mp-ckpt-');
    const small = join(dir, 'small.db');
    const smallDb = new Database(small);
    smallDb.pragma('journal_mode = wal');
    smallDb.exec('CREATE TABLE t (i INTEGER)');
    let calls = 0;
    const idle = new SqliteCheckpointer(small, () => calls++);
    idle.afterCommit(); // WAL far below the threshold: no worker at all
    await idle.close();
    smallDb.close();
    expect(calls).toBe(0);

    const { file, db } = walOnlyDatabase(dir);
    try {
      rmSync(file); // the worker cannot open the database any more (fileMustExist)
      let failures = 0;
      const checkpointer = new SqliteCheckpointer(file, () => failures++);
      checkpointer.afterCommit();
      await checkpointer.close();
      expect(failures).toBe(1);
      checkpointer.afterCommit(); // stopped for good
      expect(failures).toBe(1);
    } finally {
      db.close();
    }
  });

  it('a process that closes after a large write, or never closes, still exits on its own with code 0', async () => {
    requireBuild();
    const dir = tempDir('mp-ckpt-child-');
    for (const ending of ['close', 'no-close']) {
      const path = join(dir, `${ending}.db`);
      const child = spawnFixture('sqlite-large-write.mjs', [path, ending]);
      expect(await waitForLine(child, /^done /)).toBe(`done ${ending}`);
      expect(await waitForExit(child)).toEqual({ code: 0, signal: null });
      await using reopened = await StorageEngine.open({ path, backend: 'sqlite', readOnly: true });
      expect(await reopened.executeScalar('SELECT count(*) FROM events')).toBe(30_000);
    }
  });

  it('the engine: large writes reach the file while it stays open, and nothing is lost at close', async () => {
    const path = join(tempDir('mp-ckpt-engine-'), 'events.db');
    const storage = await StorageEngine.open({ path, backend: 'sqlite' });
    try {
      const events = Array.from({ length: 30_000 }, (_, i) => ({
        event_name: 'Page View',
        event_time: Date.UTC(2024, 5, 1) + i * 1000,
        distinct_id: `u${i % 100}`,
        insert_id: `id-${i}`,
        properties: { i, text: 'y'.repeat(200) },
      }));
      expect(await storage.createEventsTable('events', events, { type: 'events' })).toBe(30_000);
      // Only the worker checkpoints while the storage is open: the file fills with the rows.
      expect(await until(() => size(path) > 8_000_000)).toBe(true);
      expect(await storage.executeScalar('SELECT count(*) FROM events')).toBe(30_000);
      // Writes go on during and after background checkpoints.
      const more = events.map((e) => ({ ...e, insert_id: `more-${e.insert_id}` }));
      expect((await storage.appendEventsTable('events', more)).inserted).toBe(30_000);
    } finally {
      await storage.close();
    }
    expect(existsSync(`${path}-wal`)).toBe(false);
    await using reopened = await StorageEngine.open({ path, backend: 'sqlite', readOnly: true });
    expect(await reopened.executeScalar('SELECT count(*) FROM events')).toBe(60_000);
  });
});
