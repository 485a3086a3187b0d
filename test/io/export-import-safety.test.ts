import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  checksumTable,
  FileNotFoundError,
  InvalidArgumentError,
  InvalidRecordError,
  type StorageEngine,
  TableExistsError,
} from '../../src/index.js';
import { backendHarnesses } from '../support/backends.js';
import { events } from '../support/records.js';
import { tempDir } from '../support/temp-dir.js';
import { awkwardEvents, awkwardProfiles, EVENTS_META, PROFILES_META } from './support/awkward-data.js';

const harnesses = await backendHarnesses();
const running = harnesses.filter((h) => h.skipReason === null);

describe.each(harnesses)('file safety on $name', (h) => {
  const suite = h.skipReason ? describe.skip : describe;

  suite(`(${h.skipReason ?? 'running'})`, () => {
    const dir = tempDir(`mp-io-safety-${h.name}-`);
    const fresh = async (): Promise<StorageEngine> => {
      const { engine } = await h.openFresh();
      await engine.createEventsTable('events', events(3000), EVENTS_META);
      return engine;
    };

    it('names the bad option, the missing file and the existing table in typed errors', async () => {
      await using s = await fresh();
      const path = join(dir, `e-${Date.now()}.jsonl`);
      await s.exportTable('events', { path });
      await expect(s.exportTable('events', { path })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: expect.objectContaining({ option: 'overwrite' }),
      });
      await expect(s.exportTable('events', { path: join(dir, 'x.txt') })).rejects.toMatchObject({
        details: expect.objectContaining({ option: 'format' }),
      });
      await expect(
        s.exportTable('events', { path: join(dir, 'x.csv'), compression: 'zstd' }),
      ).rejects.toMatchObject({ details: expect.objectContaining({ option: 'compression' }) });
      await expect(s.exportTable('nope', { path: join(dir, 'nope.csv') })).rejects.toMatchObject({
        code: 'TABLE_NOT_FOUND',
      });
      await expect(s.importFile('t', join(dir, 'missing.jsonl'), { type: 'events' })).rejects.toBeInstanceOf(
        FileNotFoundError,
      );
      await expect(s.importFile('events', path)).rejects.toBeInstanceOf(TableExistsError);
      await expect(s.importFile('t', path, { append: true, replace: true })).rejects.toMatchObject({
        details: expect.objectContaining({ option: 'replace' }),
      });
      await expect(s.importFile('t', path, { sidecar: false })).rejects.toMatchObject({
        details: expect.objectContaining({ option: 'type' }),
      });
      await expect(s.importFile('t', path, { type: 'profiles' })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    });

    it('an overwrite replaces the file only once the new one is complete', async () => {
      await using s = await fresh();
      const path = join(dir, `ow-${Date.now()}.parquet`);
      await s.exportTable('events', { path });
      const before = readFileSync(path);
      const controller = new AbortController();
      controller.abort();
      await expect(
        s.exportTable('events', { path, overwrite: true, signal: controller.signal }),
      ).rejects.toBeInstanceOf(AbortedError);
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
      const again = await s.exportTable('events', {
        path,
        overwrite: true,
        format: 'parquet',
        compression: 'snappy',
      });
      expect(again.rows).toBe(3000);
    });

    it('an abort or a bad record mid-import leaves the table exactly as it was', async () => {
      await using s = await fresh();
      const path = join(dir, `big-${Date.now()}.jsonl`);
      await s.exportTable('events', { path });
      const before = await checksumTable(s, 'events');
      const controller = new AbortController();
      const aborted = s.importFile('events', path, {
        replace: true,
        batchSize: 500,
        signal: controller.signal,
        onProgress: (rows) => {
          if (rows >= 1000) controller.abort();
        },
      });
      await expect(aborted).rejects.toBeInstanceOf(AbortedError);
      expect(await checksumTable(s, 'events')).toEqual(before);
      expect((await s.getMetadata('events')).source).toBe(EVENTS_META.source);

      const broken = join(dir, `broken-${Date.now()}.jsonl`);
      const lines = readFileSync(path, 'utf8').split('\n');
      lines.splice(1500, 0, '{"event":"x","properties":"not an object"}');
      writeFileSync(broken, lines.join('\n'));
      const error = await s
        .importFile('events', broken, { append: true, sidecar: false, type: 'events' })
        .catch((e) => e);
      expect(error).toBeInstanceOf(InvalidRecordError);
      expect(error).toMatchObject({ position: 1501, field: 'properties' });
      expect(await checksumTable(s, 'events')).toEqual(before);
      expect(await s.tableExists('partial')).toBe(false);
    });

    it.each(running.map((o) => o.name))('its exports import identically into %s', async (otherName) => {
      await using s = (await h.openFresh()).engine;
      await s.createEventsTable('events', awkwardEvents(), EVENTS_META);
      await s.createProfilesTable('profiles', awkwardProfiles(), PROFILES_META);
      const other = running.find((o) => o.name === otherName)!;
      await using t = (await other.openFresh()).engine;
      for (const format of ['parquet', 'csv', 'jsonl'] as const) {
        for (const table of ['events', 'profiles']) {
          const path = join(dir, `${table}-${otherName}-${Date.now()}.${format}`);
          const exported = await s.exportTable(table, { path, checksum: true });
          const imported = await t.importFile(`${table}_${format}`, path);
          expect(imported.verification, `${table} ${format}`).toMatchObject({
            ok: true,
            actualChecksum: exported.checksum,
          });
        }
      }
    });

    it('exports with an empty result still write a file and a sidecar', async () => {
      await using s = await fresh();
      for (const format of ['parquet', 'csv', 'jsonl'] as const) {
        const path = join(dir, `empty-${Date.now()}.${format}`);
        const result = await s.exportQuery("SELECT * FROM events WHERE event_name = 'none'", [], { path });
        expect(result.rows).toBe(0);
        expect(existsSync(path) && existsSync(`${path}.meta.json`)).toBe(true);
      }
    });
  });
});
