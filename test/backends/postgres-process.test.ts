/**
 * Ephemeral-schema clean-up across real process lifetimes: a child process opens an ephemeral
 * workspace and then ends in different ways without calling close().
 *
 * The child runs the backend's own source, transpiled (no type checking) into .tmp/ inside the
 * repository so that `pg` resolves from node_modules.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, dropTestDatabase } from '../support/postgres-server.js';

const pgUrl = inject('pgUrl');
const skipReason = inject('pgSkipReason');
if (!pgUrl) console.warn(`[skip] ${import.meta.url.split('/').pop()}: ${skipReason}`);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, '.tmp', `pg-process-${process.pid}`);

/** Transpiles `entry` and every relative import it reaches into OUT, keeping the layout. */
function transpileClosure(entry: string): string {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const output = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    }).outputText;
    const target = join(OUT, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output);
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      visit(resolve(dirname(file), `${match[1]}.ts`));
    }
  };
  visit(entry);
  return join(OUT, relative(ROOT, entry)).replace(/\.ts$/, '.js');
}

const CHILD = `
import { postgresBackend } from './src/backends/postgres/index.js';
const how = process.argv[2];
const connection = await postgresBackend.open({
  mode: 'ephemeral',
  readOnly: false,
  settings: { url: { value: process.env.PG_URL, source: 'env' } },
});
await connection.run('CREATE TABLE events (id BIGINT)');
await connection.run('INSERT INTO events SELECT g FROM generate_series(1, 1000) g');
process.stdout.write(connection.location + '\\n');
if (how === 'exit') process.exit(0);
if (how === 'wait') setInterval(() => {}, 1000); // until a signal arrives
// 'forget': fall off the end without close(); the idle pool must not keep the process alive.
`;

let dbUrl = '';
let admin: pg.Client;

async function schemaPresent(name: string): Promise<boolean> {
  const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [
    name,
  ]);
  return rows[0].n === 1;
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Starts the child and resolves with the ephemeral schema it printed. */
function startChild(
  how: string,
): Promise<{ child: ChildProcess; schema: string; exited: Promise<number | string> }> {
  const child = spawn(process.execPath, [join(OUT, 'child.mjs'), how], {
    env: { ...process.env, PG_URL: dbUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string>((r) =>
    child.on('exit', (code, signal) => r(signal ?? code ?? -1)),
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolveChild, reject) => {
    let stdout = '';
    child.stdout?.on('data', (d) => {
      stdout += String(d);
      const match = /\(schema (mp_ephemeral_\d+_[0-9a-f]+)\)\n/.exec(stdout);
      if (match?.[1]) resolveChild({ child, schema: match[1], exited });
    });
    void exited.then((code) => reject(new Error(`child exited (${code}) before opening: ${stderr}`)));
  });
}

describe.skipIf(!pgUrl)(
  `postgres ephemeral clean-up across processes${pgUrl ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    beforeAll(async () => {
      dbUrl = await createTestDatabase(pgUrl);
      admin = new pg.Client({ connectionString: dbUrl });
      await admin.connect();
      const index = transpileClosure(join(ROOT, 'src/backends/postgres/index.ts'));
      expect(index).toBe(join(OUT, 'src/backends/postgres/index.js'));
      writeFileSync(join(OUT, 'child.mjs'), CHILD);
    });

    afterAll(async () => {
      rmSync(OUT, { recursive: true, force: true });
      try {
        rmdirSync(dirname(OUT)); // .tmp/ itself, only if nothing else is in it
      } catch {
        // in use by someone else
      }
      await admin?.end();
      if (dbUrl) await dropTestDatabase(dbUrl);
    });

    it('drops the schema when the process calls process.exit() without close()', async () => {
      const { schema, exited } = await startChild('exit');
      expect(await exited).toBe(0);
      expect(await waitFor(async () => !(await schemaPresent(schema)))).toBe(true);
    });

    it('drops the schema when the process is terminated by SIGTERM', async () => {
      const { child, schema, exited } = await startChild('wait');
      expect(await schemaPresent(schema)).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM'); // the exit hook re-raises the signal, so the process still dies of it
      expect(await waitFor(async () => !(await schemaPresent(schema)))).toBe(true);
    });

    it('lets a process that forgot close() exit on its own, and drops the schema then', async () => {
      const { schema, exited } = await startChild('forget');
      expect(await exited).toBe(0);
      expect(await waitFor(async () => !(await schemaPresent(schema)))).toBe(true);
    });

    it('leaves the schema after SIGKILL, and the next open anywhere on this host sweeps it', async () => {
      const { child, schema, exited } = await startChild('wait');
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      expect(await schemaPresent(schema)).toBe(true); // nothing ran at exit
      const next = await startChild('exit');
      expect(await next.exited).toBe(0);
      expect(await schemaPresent(schema)).toBe(false);
      expect(await waitFor(async () => !(await schemaPresent(next.schema)))).toBe(true);
    });
  },
);
