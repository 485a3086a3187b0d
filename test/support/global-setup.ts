/**
 * Vitest global setup: one PostgreSQL cluster for the whole run (see postgres-server.ts).
 *
 * Tests read `inject('pgUrl')` (a superuser URL of the `postgres` database, or '' when PostgreSQL is
 * unavailable) and create their own database with `createTestDatabase(url)`. Child processes get the
 * same URL as `MP_TEST_PG_URL`. When the server binaries are missing, the reason goes to stderr and to
 * `inject('pgSkipReason')` so PostgreSQL suites skip visibly; with `MP_REQUIRE_POSTGRES=1` (CI) a
 * missing or broken server fails the run instead. `MP_BACKENDS` without `postgres` skips the start.
 */
import type { TestProject } from 'vitest/node';
import {
  findOrInstallPostgresBinaries,
  type PostgresServer,
  startPostgresServer,
} from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test cluster's `postgres` database; '' when PostgreSQL tests are skipped. */
    pgUrl: string;
    /** Why `pgUrl` is empty ('' when it is not). */
    pgSkipReason: string;
  }
}

function skip(project: TestProject, reason: string): void {
  process.stderr.write(`[postgres] PostgreSQL tests skipped: ${reason}\n`);
  project.provide('pgUrl', '');
  project.provide('pgSkipReason', reason);
  process.env.MP_TEST_PG_URL = '';
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const required = process.env.MP_REQUIRE_POSTGRES === '1';
  const backends = process.env.MP_BACKENDS?.split(',').map((name) => name.trim().toLowerCase());
  if (backends && backends.length > 0 && backends[0] !== '' && !backends.includes('postgres')) {
    skip(project, `MP_BACKENDS=${process.env.MP_BACKENDS} does not include postgres`);
    return undefined;
  }

  const binaries = findOrInstallPostgresBinaries(required);
  if (!binaries) {
    const where = process.env.MP_TEST_PG_BINDIR
      ? `in MP_TEST_PG_BINDIR=${process.env.MP_TEST_PG_BINDIR}`
      : 'on PATH or in /usr/lib/postgresql/*/bin';
    const reason =
      `PostgreSQL server binaries (initdb, pg_ctl, postgres) not found ${where} ` +
      '(install the postgresql package, or run scripts/ensure-postgres.sh as root)';
    if (required) throw new Error(`MP_REQUIRE_POSTGRES=1 but ${reason}`);
    skip(project, reason);
    return undefined;
  }

  let server: PostgresServer;
  try {
    server = await startPostgresServer(binaries);
  } catch (error) {
    if (required) throw error;
    skip(
      project,
      `the test cluster failed to start: ${error instanceof Error ? error.message.split('\n')[0] : error}`,
    );
    return undefined;
  }
  const t = server.timings;
  process.stderr.write(
    `[postgres] ${server.version} on 127.0.0.1:${server.port} as ${server.osUser} ` +
      `(initdb ${Math.round(t.initdbMs)} ms, start ${Math.round(t.startMs)} ms, total ${Math.round(t.totalMs)} ms)\n`,
  );
  project.provide('pgUrl', server.url);
  project.provide('pgSkipReason', '');
  process.env.MP_TEST_PG_URL = server.url;
  return async () => {
    await server.stop();
  };
}
