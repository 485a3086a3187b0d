/**
 * A throwaway PostgreSQL cluster for the test run: `initdb` into a temporary directory, `postgres`
 * listening on 127.0.0.1 on a free port, and teardown that stops exactly the process it started and
 * removes the directory.
 *
 * PostgreSQL refuses to run as root. When the tests run as root (containers, CI images) the cluster
 * runs as the unprivileged system user `mpdata-pg`, created on first use with `useradd -r -M`;
 * otherwise it runs as the current user. Durability is switched off (fsync, full_page_writes,
 * synchronous_commit): the data lives for one test run.
 *
 * Binaries are looked up on PATH, then in /usr/lib/postgresql/<version>/bin (Debian's layout, newest
 * first), or only in `MP_TEST_PG_BINDIR` when that is set. When they are missing, running as root and `MP_REQUIRE_POSTGRES=1`, the helper runs
 * `scripts/ensure-postgres.sh`, which installs Debian's `postgresql` package.
 */
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The server programs the helper needs, all from one installation. */
export interface PostgresBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly postgres: string;
  readonly pgCtl: string;
  /** e.g. `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
  readonly version: string;
}

/** A running cluster. `stop()` is idempotent. */
export interface PostgresServer {
  /** Superuser URL of the `postgres` database: `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The OS user the server runs as. */
  readonly osUser: string;
  readonly version: string;
  /** Temporary directory holding the data directory, the socket and the log. */
  readonly directory: string;
  /** Milliseconds spent in initdb, and from spawning `postgres` to accepting connections. */
  readonly timings: { readonly initdbMs: number; readonly startMs: number; readonly totalMs: number };
  stop(): Promise<void>;
}

/** The unprivileged user the cluster runs as when the tests run as root. */
export const POSTGRES_OS_USER = 'mpdata-pg';

const SERVER_PROGRAMS = ['initdb', 'pg_ctl', 'postgres'] as const;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function binariesIn(dir: string): PostgresBinaries | null {
  if (!SERVER_PROGRAMS.every((name) => isExecutable(join(dir, name)))) return null;
  const postgres = join(dir, 'postgres');
  const out = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
  if (out.status !== 0) return null;
  return {
    binDir: dir,
    initdb: join(dir, 'initdb'),
    pgCtl: join(dir, 'pg_ctl'),
    postgres,
    version: out.stdout.trim(),
  };
}

/**
 * Finds `initdb`, `pg_ctl` and `postgres`: PATH first, then /usr/lib/postgresql/<newest>/bin.
 * `MP_TEST_PG_BINDIR` restricts the search to one directory (to pick a version, or to try the skip path).
 */
export function findPostgresBinaries(): PostgresBinaries | null {
  const only = process.env.MP_TEST_PG_BINDIR;
  if (only) return binariesIn(only);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const found = binariesIn(dir);
    if (found) return found;
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const found = binariesIn(join(debianRoot, version, 'bin'));
      if (found) return found;
    }
  }
  return null;
}

const ENSURE_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/ensure-postgres.sh');

/**
 * {@link findPostgresBinaries}, and when nothing is found, running as root and `install` is true,
 * runs `scripts/ensure-postgres.sh` (apt-get install postgresql) and looks again.
 */
export function findOrInstallPostgresBinaries(install: boolean): PostgresBinaries | null {
  const found = findPostgresBinaries();
  if (found || !install || process.getuid?.() !== 0 || !existsSync(ENSURE_SCRIPT)) return found;
  process.stderr.write('[postgres] server binaries not found; running scripts/ensure-postgres.sh\n');
  const result = spawnSync('bash', [ENSURE_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) return null;
  return findPostgresBinaries();
}

interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

function lookupUser(name: string): RunAs | null {
  try {
    const uid = Number(
      execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    const gid = Number(
      execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    return { name, uid, gid };
  } catch {
    return null;
  }
}

/** `null` means "run as the current user"; as root, the unprivileged {@link POSTGRES_OS_USER}. */
function serverUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const existing = lookupUser(POSTGRES_OS_USER);
  if (existing) return existing;
  // A system account without a home directory or a login shell; it only ever owns temp directories.
  // Two test runs may race to create it, so look it up again whatever useradd says.
  spawnSync('useradd', ['-r', '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', POSTGRES_OS_USER], {
    stdio: 'ignore',
  });
  const created = lookupUser(POSTGRES_OS_USER);
  if (!created) {
    throw new Error(
      `PostgreSQL refuses to run as root and the user '${POSTGRES_OS_USER}' could not be created (useradd failed).`,
    );
  }
  return created;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function childEnv(binDir: string): NodeJS.ProcessEnv {
  // A minimal, predictable environment: the C locale (no dependency on installed locales) and no
  // PG* variables leaking in from the developer's shell.
  return { PATH: `${binDir}${delimiter}/usr/bin:/bin`, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
}

function run(file: string, args: readonly string[], user: RunAs | null, env: NodeJS.ProcessEnv, cwd: string) {
  return new Promise<void>((resolveRun, reject) => {
    execFile(
      file,
      args,
      { env, cwd, ...(user ? { uid: user.uid, gid: user.gid } : {}), maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`${file} failed: ${stderr.trim() || error.message}`));
        else resolveRun();
      },
    );
  });
}

async function waitUntilReady(port: number, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited during start-up (code ${child.exitCode}):\n${tail(logPath)}`);
    }
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline)
      throw new Error(`postgres did not accept connections within 30 s:\n${tail(logPath)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

/**
 * initdb + start. Retries on a port taken between choosing it and binding it. Throws with the tail of
 * the server log when the server cannot start.
 */
export async function startPostgresServer(binaries: PostgresBinaries): Promise<PostgresServer> {
  const began = performance.now();
  const user = serverUser();
  const directory = mkdtempSync(join(tmpdir(), 'mp-pg-'));
  if (user) chownSync(directory, user.uid, user.gid);
  const dataDir = join(directory, 'data');
  const logPath = join(directory, 'postgres.log');
  const env = childEnv(binaries.binDir);

  let child: ChildProcess | undefined;
  let removeExitHook = () => {};
  const cleanup = (): void => {
    // Synchronous last resort (process exit without teardown): immediate shutdown, then remove files.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    rmSync(directory, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  removeExitHook = () => process.removeListener('exit', cleanup);

  try {
    await run(
      binaries.initdb,
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C'],
      user,
      env,
      directory,
    );
    const initdbMs = performance.now() - began;

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const startedAt = performance.now();
      const log = openSync(logPath, 'a');
      child = spawn(
        binaries.postgres,
        [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-h',
          '127.0.0.1',
          '-k',
          directory,
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=200',
          '-c',
          'log_min_messages=warning',
        ],
        {
          env,
          cwd: directory,
          stdio: ['ignore', log, log],
          ...(user ? { uid: user.uid, gid: user.gid } : {}),
        },
      );
      closeSync(log);
      const started = child;
      try {
        await waitUntilReady(port, started, logPath);
      } catch (error) {
        const portTaken = /could not bind|Address already in use/i.test(tail(logPath, 50));
        if (started.exitCode === null && started.signalCode === null) {
          started.kill('SIGQUIT');
          await waitForExit(started, STOP_TIMEOUT_MS);
        }
        if (portTaken && attempt < 3) continue;
        throw error;
      }
      const startMs = performance.now() - startedAt;
      let stopped = false;
      const pid = started.pid ?? 0;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        pid,
        osUser: user?.name ?? (process.env.USER || String(process.getuid?.() ?? '')),
        version: binaries.version,
        directory,
        timings: { initdbMs, startMs, totalMs: performance.now() - began },
        async stop() {
          if (stopped) return;
          stopped = true;
          // SIGINT is PostgreSQL's "fast" shutdown (what `pg_ctl stop -m fast` sends); escalate to
          // immediate (SIGQUIT) and then SIGKILL. Only the postmaster this helper spawned is signalled.
          started.kill('SIGINT');
          if (!(await waitForExit(started, STOP_TIMEOUT_MS))) {
            started.kill('SIGQUIT');
            if (!(await waitForExit(started, 5_000))) started.kill('SIGKILL');
          }
          rmSync(directory, { recursive: true, force: true });
          removeExitHook();
        },
      };
    }
  } catch (error) {
    cleanup();
    removeExitHook();
    throw error;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * Creates a fresh database on the server behind `url` (a superuser URL, as provided to the tests)
 * and returns the URL of the new database. Each test file calls this once, so files can run in
 * parallel without seeing each other's tables.
 */
export async function createTestDatabase(url: string, prefix = 'mp_test'): Promise<string> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // CREATE DATABASE takes no parameters; the name is generated above from [a-z0-9_] only.
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return withDatabase(url, name);
}

/** Drops a database made by {@link createTestDatabase}, disconnecting anyone still using it. */
export async function dropTestDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Refusing to drop unexpected database name ${name}`);
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
