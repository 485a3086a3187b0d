import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checksumTable, type FileFormat, type StorageEngine } from '../../src/index.js';
import { canonicalJsonText } from '../../src/io/canonical-json.js';
import { backendHarnesses } from '../support/backends.js';
import { tempDir } from '../support/temp-dir.js';
import {
  allRows,
  awkwardEvents,
  awkwardProfiles,
  BIG,
  createMiscTable,
  EVENTS_META,
  PROFILES_META,
} from './support/awkward-data.js';

const harnesses = await backendHarnesses();
const FORMATS: readonly FileFormat[] = ['parquet', 'csv', 'jsonl'];

describe.each(harnesses)('export → import round trips on $name', (h) => {
  const suite = h.skipReason ? describe.skip : describe;

  suite(`(${h.skipReason ?? 'running'})`, () => {
    const dir = tempDir(`mp-io-${h.name}-`);

    async function seeded(): Promise<StorageEngine> {
      const { engine } = await h.openFresh();
      await engine.createEventsTable('events', awkwardEvents(), EVENTS_META);
      await engine.createProfilesTable('profiles', awkwardProfiles(), PROFILES_META);
      await createMiscTable(engine);
      return engine;
    }

    const ORDER: Record<string, string[]> = {
      events: ['insert_id'],
      profiles: ['distinct_id'],
      misc: ['id', 'amount'],
    };

    it.each(FORMATS)('%s: every table comes back identical (rows, checksum, metadata)', async (format) => {
      await using s = await seeded();
      for (const table of ['events', 'profiles', 'misc']) {
        const path = join(dir, `${table}-${format}-${Math.random().toString(36).slice(2)}.${format}`);
        const exported = await s.exportTable(table, { path, format, checksum: true });
        expect(exported.rows).toBe(table === 'misc' ? 4 : table === 'events' ? 256 : 54);
        expect(exported.sidecarPath).toBe(`${path}.meta.json`);
        expect(existsSync(path)).toBe(true);
        const imported = await s.importFile(`${table}_back`, path);
        expect(imported.verification?.ok).toBe(true);
        expect(imported.verification?.actualChecksum).toBe(exported.checksum);
        const original = await checksumTable(s, table);
        expect(await checksumTable(s, `${table}_back`)).toEqual(original);
        expect(await allRows(s, `${table}_back`, ORDER[table]!)).toEqual(
          await allRows(s, table, ORDER[table]!),
        );
        if (table !== 'misc') {
          const { tableName: _a, ...before } = await s.getMetadata(table);
          const { tableName: _b, ...after } = await s.getMetadata(`${table}_back`);
          expect(after).toEqual(before);
          expect(imported.metadataRestored).toBe(true);
        }
      }
    });

    it('keeps a 19-digit integer exact in every format', async () => {
      await using s = await seeded();
      for (const format of FORMATS) {
        const path = join(dir, `big-${format}-${Date.now()}.${format}`);
        await s.exportTable('events', { path });
        await s.importFile(`big_${format}`, path);
        const value = await s.executeScalar(
          `SELECT properties->>'big' FROM ${s.dialect.quoteIdentifier(`big_${format}`)} WHERE insert_id = 'a1'`,
        );
        expect(String(value)).toBe(BIG.toString());
      }
    });

    it('writes events as Mixpanel raw export lines and profiles as Engage lines', async () => {
      await using s = await seeded();
      const path = join(dir, `shape-${Date.now()}.jsonl`);
      await s.exportTable('events', { path });
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      const shaped = lines.find((l) => l.includes('"Mixpanel shaped"'))!;
      // Fetched-from-Mixpanel data comes out in Mixpanel's shape, with no restore member (and byte for
      // byte where the engine keeps JSON text as written; PostgreSQL's jsonb orders keys its own way).
      const expected =
        '{"event":"Mixpanel shaped","properties":{"time":1717236000,"distinct_id":"user_2","$insert_id":"mx-1",' +
        `"$browser":"Chrome","key.with.dots":1,"key\\"quote":"it's","id":${BIG}}}`;
      if (h.name === 'postgres') expect(canonicalJsonText(shaped)).toBe(canonicalJsonText(expected));
      else expect(shaped).toBe(expected);
      const purchase = JSON.parse(lines.find((l) => l.includes('"Purchase"') && l.includes('"a1"'))!);
      expect(purchase.properties.time).toBe(1717236000.123);
      expect(purchase.properties.distinct_id).toBe('user_1');
      expect(purchase.$mp_restore).toEqual({ absent: ['time', 'distinct_id', '$insert_id'] });
      const signUp = JSON.parse(lines.find((l) => l.includes('Sign Up'))!);
      expect(signUp.$mp_restore.nullProperties).toBe(true);
      expect(signUp.properties.$insert_id).toMatch(/^~[0-9a-f]{24}-1$/);

      const profilesPath = join(dir, `profiles-${Date.now()}.jsonl`);
      await s.exportTable('profiles', { path: profilesPath });
      const profile = readFileSync(profilesPath, 'utf8')
        .split('\n')
        .find((l) => l.includes('"user_1"'))!;
      expect(canonicalJsonText(profile)).toBe(
        canonicalJsonText(
          `{"$distinct_id":"user_1","$properties":{"$email":"a@example.com","$last_seen":"2024-06-01T10:00:00","big":${BIG},"nested":{"a":[1,{"b":null}]}}}`,
        ),
      );
    });

    it('imports Mixpanel export JSON lines (gzip), and mp fetch --stdout records', async () => {
      await using s = await seeded();
      const raw = [
        `{"event":"Page View","properties":{"time":1717236000,"distinct_id":"u1","$insert_id":"p1","user_id":${BIG}}}`,
        '{"event":"Page View","properties":{"time":1717236060,"distinct_id":"u2","$insert_id":"p2","mp_lib":"web"}}',
        '{"event":"Page View","properties":{"time":1717236000,"distinct_id":"u1","$insert_id":"p1","user_id":1}}',
        '',
      ].join('\n');
      const { gzipSync } = await import('node:zlib');
      const { writeFileSync } = await import('node:fs');
      const gz = join(dir, `mixpanel-${Date.now()}.json.gz`);
      writeFileSync(gz, gzipSync(raw));
      const result = await s.importFile('mixpanel', gz, { type: 'events' });
      expect(result).toMatchObject({ rowsRead: 3, inserted: 2, duplicates: 1, metadataRestored: false });
      expect(result.verification).toBeNull();
      const rows = await s.executeObjects(
        "SELECT insert_id, distinct_id, event_time, properties->>'user_id' AS uid FROM mixpanel ORDER BY insert_id",
      );
      // The later copy of a duplicate wins (same key, no processing time): user_id 1, not BIG.
      // (SQLite's ->> returns the number's SQL type, hence String.)
      expect(rows.map((r) => ({ ...r, uid: r.uid === null ? null : String(r.uid) }))).toEqual([
        { insert_id: 'p1', distinct_id: 'u1', event_time: new Date(1717236000000), uid: '1' },
        { insert_id: 'p2', distinct_id: 'u2', event_time: new Date(1717236060000), uid: null },
      ]);

      const records = join(dir, `records-${Date.now()}.jsonl`);
      writeFileSync(
        records,
        '{"event_name":"A","event_time":"2024-06-01T00:00:00.000Z","distinct_id":"x","insert_id":"r1","properties":{"k":1}}\n',
      );
      expect((await s.importFile('records', records, { type: 'events' })).inserted).toBe(1);
      await s.importFile('records', records, { type: 'events', append: true });
      expect(await s.executeScalar('SELECT count(*) FROM records')).toBe(1);
    });

    it('appends an export to an existing table with the dedup rule', async () => {
      await using s = await seeded();
      const path = join(dir, `append-${Date.now()}.csv.gz`);
      const exported = await s.exportTable('events', { path });
      expect(exported.compression).toBe('gzip');
      expect(gunzipSync(readFileSync(path)).toString('utf8').split('\n')[0]).toBe(
        'event_name,event_time,distinct_id,insert_id,properties',
      );
      const result = await s.importFile('events', path, { append: true });
      expect(result).toMatchObject({ inserted: 0, duplicates: 256, verification: null });
    });

    it('exports a query with bound parameters', async () => {
      await using s = await seeded();
      const path = join(dir, `query-${Date.now()}.parquet`);
      const sql = `SELECT event_name, count(*) AS n FROM events WHERE distinct_id = ${s.dialect.placeholder(1)} GROUP BY event_name`;
      const result = await s.exportQuery(sql, ['user_1'], { path });
      expect(result).toMatchObject({ table: null, type: 'other', rows: 3 });
      await s.importFile('per_event', path);
      const back = await s.executeObjects('SELECT event_name, n FROM per_event ORDER BY event_name');
      expect(back.map((r) => [r.event_name, Number(r.n)])).toEqual([
        ['Page View', 2],
        ['Purchase', 3],
        ['Sign Up', 1],
      ]);
    });
  });
});
