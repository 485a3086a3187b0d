/**
 * `mp export`, `mp import`, `mp migrate`, `mp backup` and `mp restore`, called as functions on temp
 * databases (DuckDB and SQLite; PostgreSQL when the test server runs), asserting the data itself:
 * row counts and content checksums on both sides. One end-to-end run of the built `mp` at the end.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildProgram } from '../../src/cli/cli.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import {
  backupCommand,
  exportCommand,
  importCommand,
  migrateCommand,
  restoreCommand,
} from '../../src/cli/commands/files.js';
import { EXIT_CODES, exitCodeFor } from '../../src/cli/exit-codes.js';
import { reportError } from '../../src/cli/report-error.js';
import { type BackendName, checksumTable, StorageEngine, type TableChecksum } from '../../src/index.js';
import {
  awkwardEvents,
  awkwardProfiles,
  createMiscTable,
  EVENTS_META,
  PROFILES_META,
} from '../io/support/awkward-data.js';
import { memoryIo, parseCsv, stripAnsi, tempHome } from './support/cli-harness.js';
import { ensureBuilt, runMp } from './support/run-mp.js';

const home = tempHome('mp-files-');
const env: NodeJS.ProcessEnv = { ...home.env, NO_COLOR: '1' };
afterAll(() => home.remove());

let counter = 0;
const TABLES = ['events', 'misc', 'profiles'];

/** A new database file holding events, profiles and a hand-made table of every portable type. */
async function seeded(backend: BackendName): Promise<string> {
  const path = join(home.dir, `db-${counter++}.${backend}`);
  const s = await StorageEngine.open({ backend, path });
  try {
    await s.createEventsTable('events', awkwardEvents(300), EVENTS_META);
    await s.createProfilesTable('profiles', awkwardProfiles(), PROFILES_META);
    await createMiscTable(s);
  } finally {
    await s.close();
  }
  return path;
}

/** Row count and checksum of every table (or the ones named), read-only. */
async function checksums(
  open: { backend: BackendName; path?: string; settings?: Record<string, string> },
  tables?: readonly string[],
): Promise<Record<string, TableChecksum>> {
  const s = await StorageEngine.open({ ...open, readOnly: true });
  try {
    const names = tables ?? (await s.listTables()).map((t) => t.name).sort();
    const out: Record<string, TableChecksum> = {};
    for (const name of names) out[name] = await checksumTable(s, name);
    return out;
  } finally {
    await s.close();
  }
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command function the way `main.ts` would: errors reported on stderr, mapped to an exit code. */
async function run(command: (io: CliIo) => Promise<void>): Promise<Outcome> {
  const m = memoryIo({ env });
  let code: number = EXIT_CODES.ok;
  try {
    await command(m.io);
  } catch (error) {
    code = exitCodeFor(error);
    reportError(m.io, error);
  }
  return { code, stdout: stripAnsi(m.stdout()), stderr: stripAnsi(m.stderr()) };
}

/** Parses `mp ARGS` with the real command tree (usage errors included), in this process. */
function cli(args: readonly string[]): Promise<Outcome> {
  return run((io) =>
    buildProgram(io)
      .parseAsync([...args], { from: 'user' })
      .then(() => undefined),
  );
}

describe.each(['duckdb', 'sqlite'] as const)('%s: mp export → mp import', (backend) => {
  it.each([
    ['parquet', 'events.parquet'],
    ['jsonl', 'events.jsonl.gz'],
    ['csv', 'events.csv'],
  ])('a %s round trip keeps every row (checksum equal)', async (format, file) => {
    const path = await seeded(backend);
    const output = join(home.dir, `${counter++}-${file}`);
    const exported = await run((io) => exportCommand({ path, backend, table: 'events', output }, io));
    expect(exported).toMatchObject({ code: 0, stdout: '' });
    expect(exported.stderr).toMatch(
      new RegExp(
        `^Exported 3\\d\\d rows of 'events' \\(.+\\) to .+ \\[${format}, \\w+, method (native|stream|spool)\\]`,
      ),
    );

    const imported = await run((io) =>
      importCommand({ path, backend, type: 'events', file: output, name: 'events_copy' }, io),
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toMatch(
      /^Imported 3\d\d records from .+ into 'events_copy' \(events\): 3\d\d inserted/,
    );
    expect(imported.stderr).toContain('verified against the sidecar');

    const sums = await checksums({ backend, path }, ['events', 'events_copy']);
    expect(sums.events_copy).toEqual(sums.events);
  });

  it('profiles and an other table round trip; --format json prints the result objects', async () => {
    const path = await seeded(backend);
    for (const [table, type, file] of [
      ['profiles', 'profiles', 'profiles.jsonl'],
      ['misc', 'other', 'misc.parquet'],
    ] as const) {
      const output = join(home.dir, `${counter++}-${file}`);
      const exported = await run((io) =>
        exportCommand({ path, backend, table, output, format: 'json', checksum: true }, io),
      );
      expect(exported.code, exported.stderr).toBe(0);
      const result = JSON.parse(exported.stdout) as { rows: number; checksum: string; method: string };
      const original = (await checksums({ backend, path }, [table]))[table]!;
      expect(result).toMatchObject({ rows: original.rows, checksum: original.checksum, table });

      const imported = await run((io) =>
        importCommand({ path, backend, type, file: output, name: `${table}_copy`, format: 'json' }, io),
      );
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({
        table: `${table}_copy`,
        inserted: original.rows,
        verification: { ok: true, expectedChecksum: original.checksum, actualChecksum: original.checksum },
      });
      expect((await checksums({ backend, path }, [`${table}_copy`]))[`${table}_copy`]).toEqual(original);
    }
  });

  it('--query exports a query result; --format csv overrides the extension', async () => {
    const path = await seeded(backend);
    const output = join(home.dir, `${counter++}-counts.out`);
    const exported = await run((io) =>
      exportCommand(
        {
          path,
          backend,
          query: 'SELECT event_name, count(*) AS n FROM events GROUP BY event_name ORDER BY event_name',
          output,
          format: 'csv',
        },
        io,
      ),
    );
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/of query result .* \[csv, none,/);
    const rows = parseCsv(readFileSync(output, 'utf8'));
    expect(rows[0]).toEqual(['event_name', 'n']);
    const total = rows.slice(1).reduce((sum, r) => sum + Number(r[1]), 0);
    expect(total).toBe((await checksums({ backend, path }, ['events'])).events!.rows);
  });
});

describe('mp import: existing tables, appends and exit codes', () => {
  it('an existing table needs --append or --replace (exit 1 with a hint); --append deduplicates', async () => {
    const path = await seeded('duckdb');
    const file = join(home.dir, `${counter++}-events.jsonl`);
    expect((await run((io) => exportCommand({ path, table: 'events', output: file }, io))).code).toBe(0);
    const before = (await checksums({ backend: 'duckdb', path }, ['events'])).events!;

    const refused = await run((io) => importCommand({ path, type: 'events', file }, io));
    expect(refused.code).toBe(EXIT_CODES.general);
    expect(refused.stderr).toMatch(/\[TABLE_EXISTS\]/);
    expect(refused.stderr).toMatch(/Hint: Pass --append to add to it, --replace to rebuild it/);

    const appended = await run((io) =>
      importCommand({ path, type: 'events', file, append: true, format: 'json' }, io),
    );
    expect(appended.code, appended.stderr).toBe(0);
    expect(JSON.parse(appended.stdout)).toMatchObject({ inserted: 0, duplicates: before.rows });

    const replaced = await run((io) => importCommand({ path, type: 'events', file, replace: true }, io));
    expect(replaced.code, replaced.stderr).toBe(0);
    expect((await checksums({ backend: 'duckdb', path }, ['events'])).events).toEqual(before);
  });

  it('a missing input file is exit 4 and creates no database', async () => {
    const path = join(home.dir, `${counter++}-never.duckdb`);
    const missing = await run((io) =>
      importCommand({ path, type: 'events', file: join(home.dir, 'no-such-file.jsonl') }, io),
    );
    expect(missing.code).toBe(EXIT_CODES.notFound);
    expect(missing.stderr).toMatch(/File not found: .*no-such-file\.jsonl \[FILE_NOT_FOUND\]/);
    const cli4 = await cli(['--path', path, 'import', 'events', join(home.dir, 'nope.parquet')]);
    expect(cli4.code).toBe(EXIT_CODES.notFound);
    expect(existsSync(path)).toBe(false);
  });

  it('bad options are exit 3', async () => {
    const path = await seeded('duckdb');
    expect((await cli(['--path', path, 'export', 'events'])).code).toBe(EXIT_CODES.invalidArguments); // no --output
    expect((await cli(['--path', path, 'import', 'bogus', 'x.jsonl'])).code).toBe(
      EXIT_CODES.invalidArguments,
    );
    expect((await cli(['--path', path, 'import', 'events', 'x.jsonl', '--append', '--replace'])).code).toBe(
      EXIT_CODES.invalidArguments,
    );
    expect((await cli(['--path', path, 'migrate', '--to-backend', 'oracle'])).code).toBe(
      EXIT_CODES.invalidArguments,
    );
    const both = await run((io) =>
      exportCommand({ path, table: 'events', query: 'SELECT 1', output: 'x.csv' }, io),
    );
    expect(both.code).toBe(EXIT_CODES.invalidArguments);
    // parquet is a file format: other commands refuse it.
    const parquet = await cli(['--path', path, '--format', 'parquet', 'inspect', 'tables']);
    expect(parquet.code).toBe(EXIT_CODES.invalidArguments);
    expect(parquet.stderr).toContain('names a file format');
    // An existing output file without --overwrite.
    const output = join(home.dir, `${counter++}-twice.parquet`);
    expect((await run((io) => exportCommand({ path, table: 'misc', output }, io))).code).toBe(0);
    expect((await run((io) => exportCommand({ path, table: 'misc', output }, io))).code).toBe(
      EXIT_CODES.invalidArguments,
    );
    expect(
      (await run((io) => exportCommand({ path, table: 'misc', output, overwrite: true }, io))).code,
    ).toBe(0);
  });
});

describe('mp migrate', () => {
  it('duckdb → sqlite copies every table with equal checksums and prints the comparison', async () => {
    const path = await seeded('duckdb');
    const toPath = join(home.dir, `${counter++}-copy.sqlite`);
    const migrated = await run((io) =>
      migrateCommand({ path, backend: 'duckdb', toBackend: 'sqlite', toPath }, io),
    );
    expect(migrated.code, migrated.stderr).toBe(0);
    const source = await checksums({ backend: 'duckdb', path });
    const target = await checksums({ backend: 'sqlite', path: toPath });
    expect(Object.keys(source)).toEqual(TABLES);
    expect(target).toEqual(source);

    const lines = migrated.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^table\s+type\s+status\s+source_rows\s+target_rows\s+source_checksum\s+target_checksum\s+metadata$/,
    );
    for (const name of TABLES) {
      const s = source[name]!;
      const line = lines.find((l) => l.startsWith(`${name} `));
      expect(line).toMatch(
        new RegExp(
          `^${name}\\s+\\w+\\s+migrated\\s+${s.rows}\\s+${s.rows}\\s+${s.checksum}\\s+${s.checksum}\\s+equal$`,
        ),
      );
    }
    expect(migrated.stderr).toMatch(
      /^Migrated 3 tables \(3 copied, 0 already equal\) from duckdb .+ to sqlite .+, checksums equal/,
    );

    // Again: everything is already there and equal.
    const again = await run((io) =>
      migrateCommand({ path, backend: 'duckdb', toBackend: 'sqlite', toPath, format: 'json' }, io),
    );
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as { ok: boolean; tables: { name: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.tables.map((t) => t.status)).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('a differing target table stops with exit 1 saying what moved; --replace fixes it', async () => {
    const path = await seeded('duckdb');
    const toPath = join(home.dir, `${counter++}-diff.sqlite`);
    const t = await StorageEngine.open({ backend: 'sqlite', path: toPath });
    await t.createProfilesTable('profiles', awkwardProfiles().slice(0, 2), PROFILES_META);
    await t.close();

    const stopped = await run((io) =>
      migrateCommand({ path, backend: 'duckdb', toBackend: 'sqlite', toPath }, io),
    );
    expect(stopped.code).toBe(EXIT_CODES.general);
    expect(stopped.stderr).toMatch(/Migration stopped at table 'profiles'.*\[TABLE_EXISTS\]/);
    expect(stopped.stderr).toMatch(/Complete on the target: events, misc\./);
    expect(stopped.stderr).toContain('Hint: Pass --replace');
    expect(stopped.stdout).toMatch(/^profiles\s+profiles\s+failed/m);

    const fixed = await run((io) =>
      migrateCommand(
        { path, backend: 'duckdb', toBackend: 'sqlite', toPath, replace: true, tables: ['profiles'] },
        io,
      ),
    );
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/^profiles\s+profiles\s+migrated/m);
    const source = await checksums({ backend: 'duckdb', path });
    const target = await checksums({ backend: 'sqlite', path: toPath }, TABLES);
    expect(target).toEqual(source);
  });

  const pgUrl = inject('pgUrl') ?? '';
  it.skipIf(pgUrl === '')('sqlite → postgres (--to-url, --to-schema) keeps every checksum', async () => {
    const path = await seeded('sqlite');
    const schema = `mp_cli_${process.pid}_${counter++}`;
    const migrated = await run((io) =>
      migrateCommand({ path, backend: 'sqlite', toBackend: 'postgres', toUrl: pgUrl, toSchema: schema }, io),
    );
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stderr).toMatch(/from sqlite .+ to postgres /);
    expect(migrated.stderr).not.toContain(new URL(pgUrl).password || '\u0000');
    const target = await checksums({ backend: 'postgres', settings: { url: pgUrl, schema } });
    expect(target).toEqual(await checksums({ backend: 'sqlite', path }));
  });
});

describe.each(['duckdb', 'sqlite'] as const)('%s: mp backup → mp restore', (backend) => {
  it.each(['auto', 'export'] as const)(
    '--method %s restores equal tables; an existing target needs --force',
    async (method) => {
      const path = await seeded(backend);
      const dir = join(home.dir, `${counter++}-backup`);
      const backedUp = await run((io) => backupCommand({ path, backend, directory: dir, method }, io));
      expect(backedUp.code, backedUp.stderr).toBe(0);
      expect(backedUp.stderr).toMatch(
        new RegExp(`^Backed up 3 tables \\(.+\\) of ${backend} to .+ with \\S+ in`),
      );
      const source = await checksums({ backend, path });
      for (const name of TABLES) {
        expect(backedUp.stdout).toMatch(
          new RegExp(`^${name}\\s+\\w+\\s+${source[name]!.rows}\\s+${source[name]!.checksum}$`, 'm'),
        );
      }

      const target = join(home.dir, `${counter++}-restored.${backend}`);
      const restored = await run((io) => restoreCommand({ path: target, backend, directory: dir }, io));
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stderr).toMatch(new RegExp(`^Restored 3 tables into ${backend} .+ verified`));
      expect(restored.stdout).toMatch(/^events\s+\d+\s+\d+\s+true\s+true\s+true$/m);
      expect(await checksums({ backend, path: target })).toEqual(source);

      const refused = await run((io) => restoreCommand({ path: target, backend, directory: dir }, io));
      expect(refused.code).toBe(EXIT_CODES.invalidArguments);
      expect(refused.stderr).toMatch(/force/);
      expect(refused.stderr).toContain('Hint: Pass --force to overwrite it.');

      const forced = await run((io) =>
        restoreCommand({ path: target, backend, directory: dir, force: true }, io),
      );
      expect(forced.code, forced.stderr).toBe(0);
      expect(await checksums({ backend, path: target })).toEqual(source);
    },
  );

  it('an export backup restores into the other backend', async () => {
    const path = await seeded(backend);
    const other: BackendName = backend === 'duckdb' ? 'sqlite' : 'duckdb';
    const dir = join(home.dir, `${counter++}-portable`);
    expect(
      (await run((io) => backupCommand({ path, backend, directory: dir, method: 'export' }, io))).code,
    ).toBe(0);
    const target = join(home.dir, `${counter++}-cross.${other}`);
    const restored = await run((io) =>
      restoreCommand({ path: target, backend: other, directory: dir, format: 'json' }, io),
    );
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ ok: true, backend: other });
    expect(await checksums({ backend: other, path: target })).toEqual(await checksums({ backend, path }));
  });

  it('a missing backup directory is exit 4', async () => {
    const missing = await run((io) =>
      restoreCommand({ path: join(home.dir, 'x.db'), backend, directory: join(home.dir, 'no-backup') }, io),
    );
    expect(missing.code).toBe(EXIT_CODES.notFound);
  });
});

describe('the built mp', () => {
  it('mp export TABLE --output FILE --format csv writes a CSV of every row', async () => {
    ensureBuilt();
    const path = await seeded('duckdb');
    const output = join(home.dir, `${counter++}-e2e.txt`);
    const result = await runMp(
      ['--path', path, 'export', 'events', '--output', output, '--format', 'csv'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Exported \d+ rows of 'events' .+ \[csv, none, method \w+\]/);
    const rows = parseCsv(readFileSync(output, 'utf8'));
    expect(rows[0]).toEqual(
      expect.arrayContaining(['event_name', 'event_time', 'distinct_id', 'insert_id', 'properties']),
    );
    const { rows: count } = (await checksums({ backend: 'duckdb', path }, ['events'])).events!;
    expect(rows.length - 1).toBe(count);
    const nameAt = rows[0]!.indexOf('event_name');
    expect(new Set(rows.slice(1).map((r) => r[nameAt]))).not.toContain('');
  });
});
