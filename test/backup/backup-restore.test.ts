import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { backupDatabase, restoreDatabase, StorageEngine, type StorageOpenOptions } from '../../src/index.js';
import { awkwardEvents } from '../io/support/awkward-data.js';
import { backendHarnesses } from '../support/backends.js';
import { createTestDatabase, dropTestDatabase } from '../support/postgres-server.js';
import { tempDir } from '../support/temp-dir.js';
import { answers, seed } from './support/probe.js';

const harnesses = await backendHarnesses();

describe.each(harnesses)('backup and restore on $name', (h) => {
  const suite = h.skipReason ? describe.skip : describe;

  suite(`(${h.skipReason ?? 'running'})`, () => {
    const dir = tempDir(`mp-backup-${h.name}-`);

    /** Open options for a brand-new target of this backend (a file, or a schema in a fresh database). */
    async function freshTarget(
      label: string,
    ): Promise<{ open: StorageOpenOptions; cleanup: () => Promise<void> }> {
      if (h.fileBased) {
        return {
          open: { backend: h.name, path: join(dir, `${label}-${Date.now()}.${h.name}`) },
          cleanup: async () => {},
        };
      }
      const url = await createTestDatabase(inject('pgUrl'), 'mp_restore');
      return {
        open: { backend: 'postgres', settings: { url, schema: `restored_${label}` } },
        cleanup: () => dropTestDatabase(url),
      };
    }

    it('a native backup restores a database that answers every query exactly as the original', async () => {
      await using s = (await h.openFresh()).engine;
      await seed(s);
      const before = await answers(s);
      const out = join(dir, `native-${Date.now()}`);
      const backup = await backupDatabase(s, out);
      expect(backup.method).toBe(
        { duckdb: 'duckdb-export-database', sqlite: 'sqlite-online-backup', postgres: 'pg_dump' }[h.name],
      );
      expect(backup.fallbackReason).toBeNull();
      expect(backup.tables.map((t) => [t.name, t.rows])).toEqual([
        ['events', 306],
        ['misc', 4],
        ['profiles', 54],
      ]);
      expect(readdirSync(out).sort()).toEqual(['manifest.json', 'native']);

      const target = await freshTarget('native');
      try {
        const restored = await restoreDatabase(out, target.open);
        expect(restored.ok).toBe(true);
        expect(restored.tables.every((t) => t.checksumMatch === true)).toBe(true);
        expect(restored.tables.filter((t) => t.name !== 'misc').every((t) => t.metadataMatch === true)).toBe(
          true,
        );
        await using back = await StorageEngine.open(target.open);
        expect(await answers(back)).toEqual(before);
      } finally {
        await target.cleanup();
      }
    });

    it('refuses to overwrite an existing database without force', async () => {
      await using s = (await h.openFresh()).engine;
      await seed(s);
      const out = join(dir, `force-${Date.now()}`);
      await backupDatabase(s, out);
      const target = await freshTarget('force');
      try {
        {
          await using existing = await StorageEngine.open(target.open);
          await existing.createEventsTable('other_table', awkwardEvents(5), { type: 'events' });
        }
        await expect(restoreDatabase(out, target.open)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          details: expect.objectContaining({ option: 'force' }),
        });
        const restored = await restoreDatabase(out, target.open, { force: true });
        expect(restored.ok).toBe(true);
        await using back = await StorageEngine.open(target.open);
        expect((await back.listTables()).map((t) => t.name)).toEqual(['events', 'misc', 'profiles']);
      } finally {
        await target.cleanup();
      }
    });

    it('a table-export backup restores into every other backend', async () => {
      await using s = (await h.openFresh()).engine;
      await seed(s);
      const out = join(dir, `export-${Date.now()}`);
      const backup = await backupDatabase(s, out, { method: 'export' });
      expect(backup.method).toBe('table-export');
      expect(backup.tables.every((t) => t.file?.startsWith('tables/'))).toBe(true);
      const before = await answers(s);
      for (const other of harnesses.filter((o) => o.skipReason === null)) {
        const target: StorageOpenOptions = other.fileBased
          ? { backend: other.name, path: join(dir, `cross-${other.name}-${Date.now()}.db`) }
          : { backend: other.name, settings: { url: inject('pgUrl'), schema: `x_${Date.now()}` } };
        const restored = await restoreDatabase(out, target);
        expect(restored.ok, `into ${other.name}`).toBe(true);
        expect(restored.tables.map((t) => t.rows)).toEqual([306, 4, 54]);
        if (other.name === h.name) {
          await using back = await StorageEngine.open(target);
          expect(await answers(back)).toEqual(before);
        }
      }
    });

    it('does not write into an existing non-empty directory, and leaves nothing behind on abort', async () => {
      await using s = (await h.openFresh()).engine;
      await seed(s);
      await expect(backupDatabase(s, dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const out = join(dir, `aborted-${Date.now()}`);
      const controller = new AbortController();
      controller.abort();
      await expect(backupDatabase(s, out, { signal: controller.signal })).rejects.toMatchObject({
        code: 'ABORTED',
      });
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).some((f) => f.startsWith('aborted-'))).toBe(false);
    });
  });
});
