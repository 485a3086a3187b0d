import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendConnection, OpenRequest } from '../../src/backend/backend.js';
import { sqliteBackend } from '../../src/backends/sqlite/index.js';
import { DatabaseLockedError } from '../../src/errors.js';
import { tempDir } from '../support/temp-dir.js';

const open: BackendConnection[] = [];
const children: ChildProcess[] = [];

async function openSqlite(request: Partial<OpenRequest> = {}): Promise<BackendConnection> {
  const connection = await sqliteBackend.open({ mode: 'memory', readOnly: false, settings: {}, ...request });
  open.push(connection);
  return connection;
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  for (const connection of open.splice(0)) await connection.close();
});

/** A promise with its resolve function, to hold a transaction open until the test releases it. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

async function sharedFile(): Promise<{ path: string; first: BackendConnection }> {
  const path = join(tempDir('mp-sqlite-lock-'), 'shared.db');
  const first = await openSqlite({ mode: 'persistent', path });
  await first.run('CREATE TABLE t (who TEXT)');
  await first.run("INSERT INTO t VALUES ('seed')");
  return { path, first };
}

describe('sqlite backend: two connections in one process', () => {
  it('a second writer fails fast with DatabaseLockedError while the first holds BEGIN IMMEDIATE', async () => {
    const { path, first } = await sharedFile();
    const second = await openSqlite({ mode: 'persistent', path });
    const held = gate();
    const entered = gate();
    const writing = first.transaction(async (session) => {
      await session.run("INSERT INTO t VALUES ('first')");
      entered.release();
      await held.promise;
    });
    await entered.promise;
    const started = performance.now();
    const error = await second.transaction((s) => s.run("INSERT INTO t VALUES ('second')")).catch((e) => e);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(DatabaseLockedError);
    expect(error.code).toBe('DATABASE_LOCKED');
    expect(error.path).toBe(path);
    expect(error.holderPid).toBeUndefined();
    expect(error.details.lockHolder).toMatch(/SQLite does not report/);
    held.release();
    await writing;
    expect((await second.query('SELECT who FROM t ORDER BY rowid')).rows).toEqual([['seed'], ['first']]);
  });

  it('with lockTimeoutMs the second writer waits (without blocking the event loop) and then succeeds', async () => {
    const { path, first } = await sharedFile();
    const second = await openSqlite({ mode: 'persistent', path, lockTimeoutMs: 10_000 });
    const held = gate();
    const entered = gate();
    const writing = first.transaction(async (session) => {
      await session.run("INSERT INTO t VALUES ('first')");
      entered.release();
      await held.promise;
    });
    await entered.promise;
    // The first writer commits 300 ms from now: only possible if the waiting second one yields.
    setTimeout(held.release, 300);
    const started = performance.now();
    await second.transaction((s) => s.run("INSERT INTO t VALUES ('second')"));
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    await writing;
    expect((await first.query('SELECT who FROM t ORDER BY rowid')).rows).toEqual([
      ['seed'],
      ['first'],
      ['second'],
    ]);
  });

  it('WAL: readers (other connections, and this one outside the transaction) see the last commit', async () => {
    const { path, first } = await sharedFile();
    const reader = await openSqlite({ mode: 'persistent', path, readOnly: true });
    const held = gate();
    const entered = gate();
    const writing = first.transaction(async (session) => {
      await session.run("INSERT INTO t VALUES ('uncommitted')");
      expect((await session.query('SELECT count(*) FROM t')).rows).toEqual([[2]]);
      entered.release();
      await held.promise;
    });
    await entered.promise;
    expect((await reader.query('SELECT who FROM t')).rows).toEqual([['seed']]);
    expect((await first.query('SELECT who FROM t')).rows).toEqual([['seed']]);
    // A stream on the writing connection does not get in the way of its transaction either.
    for await (const batch of first.stream('SELECT who FROM t')) expect(batch.rows).toEqual([['seed']]);
    held.release();
    await writing;
    expect((await reader.query('SELECT who FROM t ORDER BY rowid')).rows).toEqual([
      ['seed'],
      ['uncommitted'],
    ]);
  });
});

/**
 * Holds `BEGIN IMMEDIATE` on the file from another process, inserts a row, prints `locked`, then
 * commits after `holdMs` and prints `committed`.
 */
const HOLDER = `
const Database = require('better-sqlite3');
const [path, holdMs] = process.argv.slice(1);
const db = new Database(path);
db.exec('BEGIN IMMEDIATE');
db.prepare('INSERT INTO t VALUES (?)').run('child ' + process.pid);
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('committed\\n'); }, Number(holdMs));
`;

async function holdLockInChild(path: string, holdMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', HOLDER, path, String(holdMs)], {
    cwd: process.cwd(), // resolves better-sqlite3 from the project
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    output += chunk;
  });
  while (!output.includes('locked')) {
    if (child.exitCode !== null) throw new Error(`lock holder exited early (${child.exitCode})`);
    await once(child.stdout!, 'data');
  }
  return child;
}

describe('sqlite backend: locking across processes', () => {
  it('fails fast while another process writes, and waits it out with lockTimeoutMs', async () => {
    const { path } = await sharedFile();
    const child = await holdLockInChild(path, 1000);
    const impatient = await openSqlite({ mode: 'persistent', path });
    const error = await impatient
      .transaction((s) => s.run("INSERT INTO t VALUES ('impatient')"))
      .catch((e) => e);
    expect(error).toBeInstanceOf(DatabaseLockedError);
    expect(error.path).toBe(path);
    // Readers are not blocked by the other process's write, and do not see it yet.
    expect((await impatient.query('SELECT count(*) FROM t')).rows).toEqual([[1]]);

    const patient = await openSqlite({ mode: 'persistent', path, lockTimeoutMs: 20_000 });
    await patient.transaction((s) => s.run("INSERT INTO t VALUES ('patient')"));
    expect(child.exitCode === null || child.exitCode === 0).toBe(true);
    const { rows } = await patient.query('SELECT who FROM t ORDER BY rowid');
    expect(rows).toEqual([['seed'], [`child ${child.pid}`], ['patient']]);
  });
});
