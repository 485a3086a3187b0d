import { describe, expect, it } from 'vitest';
import {
  checksumTable,
  MigrationError,
  migrateDatabase,
  type StorageEngine,
  TableExistsError,
} from '../../src/index.js';
import { canonicalJsonText } from '../../src/io/canonical-json.js';
import {
  allRows,
  awkwardEvents,
  awkwardProfiles,
  createMiscTable,
  EVENTS_META,
  PROFILES_META,
} from '../io/support/awkward-data.js';
import { type BackendHarness, backendHarnesses } from '../support/backends.js';
import { events } from '../support/records.js';

const harnesses = await backendHarnesses();
const byName = new Map(harnesses.map((h) => [h.name, h]));
const running = harnesses.filter((h) => h.skipReason === null);
const allRunning = running.length === harnesses.length;

async function open(name: string): Promise<StorageEngine> {
  return (await (byName.get(name as BackendHarness['name']) as BackendHarness).openFresh()).engine;
}

async function seed(s: StorageEngine): Promise<void> {
  await s.createEventsTable('events', awkwardEvents(500), EVENTS_META);
  await s.createProfilesTable('profiles', awkwardProfiles(), PROFILES_META);
  await createMiscTable(s);
}

/** Everything a table is: checksum, metadata row (if any), and its rows in a stable order. */
async function snapshot(s: StorageEngine) {
  const tables = (await s.listTables()).map((t) => t.name).sort();
  const out: Record<string, unknown> = {};
  for (const name of tables) {
    const meta = await s.getMetadata(name).catch(() => null);
    out[name] = { checksum: await checksumTable(s, name), metadata: meta };
  }
  return out;
}

function canonical(rows: unknown[][], jsonColumn: number): unknown[][] {
  return rows.map((row) =>
    row.map((v, i) => (i === jsonColumn && typeof v === 'string' ? canonicalJsonText(v) : v)),
  );
}

describe('migrateDatabase', () => {
  it.skipIf(!allRunning)(
    'DuckDB → SQLite → PostgreSQL → DuckDB keeps every table, row and metadata row',
    async () => {
      await using duck = await open('duckdb');
      await seed(duck);
      const original = await snapshot(duck);
      const chain = ['sqlite', 'postgres', 'duckdb'];
      let from: StorageEngine = duck;
      const opened: StorageEngine[] = [];
      try {
        for (const backend of chain) {
          const to = await open(backend);
          opened.push(to);
          const report = await migrateDatabase(from, to);
          expect(report.ok).toBe(true);
          expect(report.tables.map((t) => [t.name, t.status])).toEqual([
            ['events', 'migrated'],
            ['misc', 'migrated'],
            ['profiles', 'migrated'],
          ]);
          for (const t of report.tables) {
            expect(t.target).toEqual(t.source);
            expect(t.metadataDifferences).toEqual([]);
          }
          expect(await snapshot(to)).toEqual(original);
          from = to;
        }
        // Back on DuckDB: the very same rows, value for value (JSON compared as documents: PostgreSQL's
        // jsonb re-orders keys, so the text of a document that went through it is ordered differently).
        const last = opened[opened.length - 1]!;
        const same = async (table: string, order: string[], json: number) =>
          expect(canonical(await allRows(last, table, order), json)).toEqual(
            canonical(await allRows(duck, table, order), json),
          );
        await same('events', ['insert_id'], 4);
        await same('profiles', ['distinct_id'], 1);
        await same('misc', ['id'], 6);
      } finally {
        for (const s of opened) await s.close();
      }
    },
  );

  describe.each(running.flatMap((a) => running.filter((b) => b !== a).map((b) => [a.name, b.name] as const)))(
    '%s → %s',
    (fromName, toName) => {
      it('migrates, then an aborted run leaves no half table and a re-run completes it', async () => {
        await using from = await open(fromName);
        await using to = await open(toName);
        await from.createEventsTable('a_small', events(100), EVENTS_META);
        await from.createEventsTable('b_big', events(5000), { type: 'events' });
        await from.createProfilesTable('c_profiles', awkwardProfiles(), PROFILES_META);
        const controller = new AbortController();
        const error = await migrateDatabase(from, to, {
          batchSize: 500,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.table === 'b_big' && p.phase === 'copy' && p.rows >= 2000) controller.abort();
          },
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MigrationError);
        const failure = error as MigrationError;
        expect(failure.code).toBe('ABORTED');
        expect(failure.report.tables.map((t) => [t.name, t.status])).toEqual([
          ['a_small', 'migrated'],
          ['b_big', 'failed'],
          ['c_profiles', 'pending'],
        ]);
        expect(failure.message).toContain('Complete on the target: a_small');
        expect(await to.tableExists('b_big')).toBe(false);
        expect(await to.tableExists('c_profiles')).toBe(false);
        // The source is untouched.
        expect(await from.executeScalar('SELECT count(*) FROM b_big')).toBe(5000);

        const rerun = await migrateDatabase(from, to);
        expect(rerun.ok).toBe(true);
        expect(rerun.tables.map((t) => [t.name, t.status])).toEqual([
          ['a_small', 'skipped'],
          ['b_big', 'migrated'],
          ['c_profiles', 'migrated'],
        ]);
        expect(await snapshot(to)).toEqual(await snapshot(from));
      });
    },
  );

  describe.each(running)('on $name', (h) => {
    it('refuses a different existing table unless replace, and repairs stale metadata on skip', async () => {
      await using from = await open(h.name);
      await using to = await open(h.name === 'duckdb' ? (running[1]?.name ?? 'duckdb') : 'duckdb');
      await from.createEventsTable('events', events(50), EVENTS_META);
      await to.createEventsTable('events', events(10), { type: 'events' });
      const error = (await migrateDatabase(from, to).catch((e: unknown) => e)) as MigrationError;
      expect(error).toBeInstanceOf(MigrationError);
      expect(error.code).toBe('TABLE_EXISTS');
      expect(error.cause).toBeInstanceOf(TableExistsError);
      expect(await to.executeScalar('SELECT count(*) FROM events')).toBe(10);

      const replaced = await migrateDatabase(from, to, { replace: true });
      expect(replaced.tables[0]?.status).toBe('migrated');
      expect(await to.executeScalar('SELECT count(*) FROM events')).toBe(50);

      // Same rows, stale metadata: skipped, and the metadata row is made equal again.
      await to.restoreMetadata('events', { ...(await to.getMetadata('events')), source: 'stale' });
      const again = await migrateDatabase(from, to);
      expect(again.tables[0]).toMatchObject({ status: 'skipped', metadataDifferences: [] });
      expect((await to.getMetadata('events')).source).toBe(EVENTS_META.source);
    });

    it('migrates only the tables asked for, and refuses itself as target', async () => {
      await using from = await open(h.name);
      await using to = await open('duckdb');
      await seed(from);
      const report = await migrateDatabase(from, to, { tables: ['misc'] });
      expect(report.tables.map((t) => t.name)).toEqual(['misc']);
      expect((await to.listTables()).map((t) => t.name)).toEqual(['misc']);
      await expect(migrateDatabase(from, from)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(migrateDatabase(from, to, { tables: ['nope'] })).rejects.toMatchObject({
        code: 'TABLE_NOT_FOUND',
      });
    });
  });
});
