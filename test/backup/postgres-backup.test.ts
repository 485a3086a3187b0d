import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { backupDatabase, restoreDatabase, StorageEngine, type StorageOpenOptions } from '../../src/index.js';
import { awkwardEvents } from '../io/support/awkward-data.js';
import { backendHarnesses } from '../support/backends.js';
import { createTestDatabase, dropTestDatabase } from '../support/postgres-server.js';
import { tempDir } from '../support/temp-dir.js';
import { answers, seed } from './support/probe.js';

/**
 * PostgreSQL's native backup runs external tools (pg_dump, pg_restore) on schemas: restoring over the
 * same schema, the `public` schema, and running without the tools. The behaviour shared by every
 * backend is in backup-restore.test.ts.
 */
const postgres = (await backendHarnesses()).find((h) => h.name === 'postgres')!;
const suite = postgres.skipReason ? describe.skip : describe;

suite(`PostgreSQL pg_dump / pg_restore (${postgres.skipReason ?? 'running'})`, () => {
  const dir = tempDir('mp-backup-pg-');
  const openIn = (url: string, schema: string) =>
    StorageEngine.open({ backend: 'postgres', settings: { url, schema } });

  it('restores over the very schema it was dumped from, and leaves nothing aside', async () => {
    const url = await createTestDatabase(inject('pgUrl'), 'mp_pgdump');
    try {
      const out = join(dir, `same-${Date.now()}`);
      let before: unknown[];
      {
        await using work = await openIn(url, 'work');
        await seed(work);
        before = await answers(work);
        await backupDatabase(work, out);
        await work.createEventsTable('added_later', awkwardEvents(3), { type: 'events' });
        await work.execute('DELETE FROM misc');
      }
      const same: StorageOpenOptions = { backend: 'postgres', settings: { url, schema: 'work' } };
      await expect(restoreDatabase(out, same)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((await restoreDatabase(out, same, { force: true })).ok).toBe(true);
      await using back = await openIn(url, 'work');
      expect(await answers(back)).toEqual(before);
      expect(await back.tableExists('added_later')).toBe(false);
      expect(
        await back.executeScalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'mp_restore_%'"),
      ).toBe(0);
    } finally {
      await dropTestDatabase(url);
    }
  });

  it('restores a dump of public into another database, under public or another name', async () => {
    const sourceUrl = await createTestDatabase(inject('pgUrl'), 'mp_pgdump');
    const targetUrl = await createTestDatabase(inject('pgUrl'), 'mp_pgdump');
    try {
      await using pub = await openIn(sourceUrl, 'public');
      await seed(pub);
      const out = join(dir, `public-${Date.now()}`);
      expect((await backupDatabase(pub, out)).method).toBe('pg_dump');
      // The target's empty public schema is moved aside for the restore under another name, then back.
      for (const schema of ['elsewhere', 'public']) {
        const open: StorageOpenOptions = { backend: 'postgres', settings: { url: targetUrl, schema } };
        const restored = await restoreDatabase(out, open, { force: true });
        expect(restored.ok, schema).toBe(true);
        await using back = await openIn(targetUrl, schema);
        expect(await answers(back)).toEqual(await answers(pub));
      }
      // Now the target's public schema holds tables: restoring the dump of `public` under another name
      // would have to touch them, so it is refused.
      await expect(
        restoreDatabase(out, { backend: 'postgres', settings: { url: targetUrl, schema: 'third' } }),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    } finally {
      await dropTestDatabase(sourceUrl);
      await dropTestDatabase(targetUrl);
    }
  });

  it('falls back to table exports when pg_dump is not available', async () => {
    const url = await createTestDatabase(inject('pgUrl'), 'mp_pgdump');
    try {
      await using s = await openIn(url, 'tools');
      await seed(s);
      const out = join(dir, `fallback-${Date.now()}`);
      const noTools = mkdtempSync(join(dir, 'no-tools-'));
      const backup = await backupDatabase(s, out, { toolDirectory: noTools });
      expect(backup.method).toBe('table-export');
      expect(backup.fallbackReason).toMatch(/pg_dump was not found/);
      await expect(
        backupDatabase(s, join(dir, `strict-${Date.now()}`), { method: 'native', toolDirectory: noTools }),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED' });
      const open: StorageOpenOptions = { backend: 'postgres', settings: { url, schema: 'from_exports' } };
      expect((await restoreDatabase(out, open)).ok).toBe(true);
      await using back = await openIn(url, 'from_exports');
      expect(await answers(back)).toEqual(await answers(s));
    } finally {
      await dropTestDatabase(url);
    }
  });
});
