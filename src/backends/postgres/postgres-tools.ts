import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AbortedError, QueryError, UnsupportedError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import type { PostgresConfig } from './postgres-config.js';

/**
 * PostgreSQL's command-line tools (`pg_dump`, `pg_restore`) for backups: finding them, and running
 * them without ever putting the password on a command line (it travels in the child's PGPASSWORD,
 * which other users cannot read, unlike `ps` output).
 *
 * The tools are looked up in an explicit directory when given, else in the usual install locations
 * (newest version first). PATH is not consulted: library code does not read the environment.
 */

/** A located tool and its major version. */
export interface PostgresTool {
  readonly path: string;
  readonly major: number;
}

/** Directories searched when no tool directory is given, after /usr/lib/postgresql/<version>/bin. */
const COMMON_DIRECTORIES = [
  '/usr/local/pgsql/bin',
  '/opt/homebrew/bin',
  '/opt/homebrew/opt/libpq/bin',
  '/usr/local/opt/libpq/bin',
  '/usr/local/bin',
  '/usr/bin',
];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function versionedDirectories(root: string): string[] {
  try {
    return readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
      .map((name) => join(root, name, 'bin'));
  } catch {
    return [];
  }
}

/** `pg_dump (PostgreSQL) 15.18 (Debian …)` → 15; null when it does not answer. */
function toolMajor(path: string): number | null {
  const out = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000, env: {} });
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(out.stdout ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * The newest `name` (pg_dump, pg_restore) found, whose major version is at least `minMajor` (a
 * pg_dump older than the server refuses to dump it). UnsupportedError when there is none, so the
 * caller can fall back to portable exports.
 */
export function findPostgresTool(name: string, minMajor: number, directory?: string): PostgresTool {
  const directories =
    directory === undefined
      ? [...versionedDirectories('/usr/lib/postgresql'), ...COMMON_DIRECTORIES]
      : [directory];
  let best: PostgresTool | null = null;
  for (const dir of directories) {
    const path = join(dir, name);
    if (!isExecutable(path)) continue;
    const major = toolMajor(path);
    if (major !== null && (best === null || major > best.major)) best = { path, major };
  }
  if (best === null) {
    throw new UnsupportedError(`${name} was not found (searched ${directories.join(', ')}).`, {
      details: { tool: name },
    });
  }
  if (best.major < minMajor) {
    throw new UnsupportedError(
      `${name} ${best.major} is older than the server (${minMajor}); install a newer client.`,
      { details: { tool: name, toolMajor: best.major, serverMajor: minMajor } },
    );
  }
  return best;
}

/** A libpq conninfo value, quoted: `'…'` with backslash and quote escaped. */
function conninfoValue(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** The conninfo string for `--dbname` (no password: that goes in the environment). */
export function conninfo(config: PostgresConfig): string {
  const parts: [string, string][] = [
    ['host', config.host],
    ['port', String(config.port)],
    ['dbname', config.database],
    ['sslmode', config.sslmode],
    ['application_name', 'mixpanel-data'],
    ['connect_timeout', '15'],
  ];
  if (config.user !== undefined) parts.push(['user', config.user]);
  return parts.map(([key, value]) => `${key}=${conninfoValue(value)}`).join(' ');
}

/** The child's whole environment: only what libpq needs from us. */
function toolEnvironment(config: PostgresConfig): Record<string, string> {
  return {
    LC_ALL: 'C',
    PGTZ: 'UTC',
    ...(config.password === undefined ? {} : { PGPASSWORD: config.password }),
  };
}

/** A `pattern` for pg_dump's `--schema` that matches exactly `schema` (double-quoted, quotes doubled). */
export function exactSchemaPattern(schema: string): string {
  return `"${schema.replaceAll('"', '""')}"`;
}

/**
 * Runs a tool to completion and resolves to its stdout. On a non-zero exit, rejects with a
 * QueryError carrying the first lines of stderr (libpq never prints the password). An abort kills
 * the child; PostgreSQL rolls back whatever it had started.
 */
export async function runPostgresTool(
  tool: PostgresTool,
  args: readonly string[],
  config: PostgresConfig,
  signal?: AbortSignal,
): Promise<string> {
  throwIfAborted(signal, `Running ${tool.path}`);
  const child = spawn(tool.path, args, { env: toolEnvironment(config), stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const kill = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode));
    });
    if (signal?.aborted) throw new AbortedError(`Running ${tool.path}`, { cause: signal.reason });
    if (code !== 0) {
      const text = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(0, 5).join('\n');
      throw new QueryError(`${tool.path} failed (exit ${code}): ${text}`, `${tool.path} ${args[0] ?? ''}`);
    }
    return Buffer.concat(stdout).toString('utf8');
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}
