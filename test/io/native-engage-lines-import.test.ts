import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumTable, type ProfileRecord, StorageEngine } from '../../src/index.js';
import { tempDir } from '../support/temp-dir.js';
import { allRows, BIG, PROFILES_META } from './support/awkward-data.js';
import { expectSameRejection, importBothWays, writeGzipCopy } from './support/flat-files.js';

// This package's own JSON-lines exports of profiles tables (the Engage shape, with `$mp_restore`
// members where the stored properties lack `$last_seen` or are NULL) load through DuckDB natively
// and come back byte for byte; a line that needs the JavaScript transform sends the file there.
const dir = tempDir('mp-native-engage-');
let n = 0;
const file = (name: string) => join(dir, `${++n}-${name}`);

const WIDE = 123456789012345678901n;
const ORDER = ['distinct_id'];

/** Awkward profiles whose export needs no `replaced` restore (`$last_seen` never contradicts the column). */
function roundTripProfiles(): ProfileRecord[] {
  return [
    {
      distinct_id: 'user_1',
      properties: {
        $email: 'a@example.com',
        $last_seen: '2024-06-01T10:00:00',
        wide: WIDE,
        negativeWide: -WIDE,
        big: BIG,
        nested: { list: [1, 'two', { deep: [WIDE] }], empty: {}, emptyList: [] },
        unicode: 'héllo ☃ 🎉 \u2028 "quotes", commas\nnew line\ttab',
        float: 1e21,
        'key"quote': "it's",
      },
      last_seen: '2024-06-01T10:00:00Z',
    },
    // NULL properties, with and without a time: nullProperties in the restore member.
    { distinct_id: 'user_2', properties: null, last_seen: null },
    { distinct_id: 'user_3', properties: null, last_seen: '2024-06-04T05:06:07.089Z' },
    // Milliseconds and no $last_seen property: appended by the exporter and cut off again.
    {
      distinct_id: 'ünïcødé ☃',
      properties: { name: 'Zoë "Z", the 2nd\n' },
      last_seen: '2024-06-02T01:02:03.456Z',
    },
    // An empty object that gets `$last_seen` appended; one with no time at all.
    { distinct_id: '12345678901234567890', properties: {}, last_seen: '2024-06-03T00:00:00Z' },
    { distinct_id: 'no time', properties: { a: 1 }, last_seen: null },
    ...Array.from({ length: 50 }, (_, i) => ({
      distinct_id: `bulk_${i}`,
      properties: { i, plan: ['free', 'pro'][i % 2] },
      last_seen: Date.UTC(2024, 5, 1) + i * 60_000,
    })),
  ];
}
const COUNT = roundTripProfiles().length;

async function exported(ext: 'jsonl' | 'jsonl.gz', profiles = roundTripProfiles()) {
  const duck = await StorageEngine.inMemory({ backend: 'duckdb' });
  await duck.createProfilesTable('profiles', profiles, PROFILES_META);
  const path = file(`profiles.${ext}`);
  const result = await duck.exportTable('profiles', { path, checksum: true });
  return { duck, path, checksum: result.checksum };
}

function writeLines(name: string, lines: readonly string[]): string {
  const path = file(name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** `[properties, last_seen]` of profile `id` in table `profiles`. */
const stored = async (storage: StorageEngine, id: string) =>
  (await storage.executeRows('SELECT distinct_id, properties, last_seen FROM profiles')).rows
    .find((row) => row[0] === id)
    ?.slice(1);

describe('native import of our own profiles JSON lines on DuckDB', () => {
  it.each(['jsonl', 'jsonl.gz'] as const)(
    '%s export comes back byte for byte through the native lane',
    async (ext) => {
      const { duck, path, checksum } = await exported(ext);
      await using _ = duck;
      if (ext === 'jsonl') {
        const text = readFileSync(path, 'utf8');
        expect(text).toContain('"$mp_restore":{"absent":["$last_seen"]}');
        expect(text).toContain('"$mp_restore":{"nullProperties":true}');
      }
      const imported = await duck.importFile('back', path);
      expect(imported).toMatchObject({
        type: 'profiles',
        lane: 'native',
        laneReason: null,
        rowsRead: COUNT,
        inserted: COUNT,
        metadataRestored: true,
      });
      expect(imported.verification).toMatchObject({ ok: true, actualChecksum: checksum });
      // Every column, properties text included (wide digits, 1e+21, key order, NULL properties).
      expect(await allRows(duck, 'back', ORDER)).toEqual(await allRows(duck, 'profiles', ORDER));
      const row = async (id: string) =>
        (await duck.executeRows('SELECT properties, last_seen FROM back WHERE distinct_id = $1', [id]))
          .rows[0];
      const [wide, seen] = (await row('user_1')) as [string, Date];
      expect(wide).toContain(`"wide":${WIDE},"negativeWide":-${WIDE},"big":${BIG}`);
      expect(wide).toContain('"float":1e+21');
      expect(wide).toContain('"$last_seen":"2024-06-01T10:00:00"');
      expect(seen).toEqual(new Date('2024-06-01T10:00:00Z'));
      expect(await row('user_2')).toEqual([null, null]);
      expect(await row('user_3')).toEqual([null, new Date('2024-06-04T05:06:07.089Z')]);
      expect(await row('ünïcødé ☃')).toEqual([
        '{"name":"Zoë \\"Z\\", the 2nd\\n"}',
        new Date('2024-06-02T01:02:03.456Z'),
      ]);
      expect(await row('12345678901234567890')).toEqual(['{}', new Date('2024-06-03T00:00:00Z')]);

      // The JavaScript path (SQLite) stores the same content.
      await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
      expect(await lite.importFile('back', path)).toMatchObject({ lane: 'javascript', inserted: COUNT });
      expect(await checksumTable(lite, 'back')).toEqual(await checksumTable(duck, 'back'));

      // Appending the same file again: every copy ties, and a tie goes to the later row.
      const again = await duck.importFile('back', path, { append: true });
      expect(again).toMatchObject({ lane: 'native', inserted: 0 });
      expect(await checksumTable(duck, 'back')).toEqual(await checksumTable(lite, 'back'));
      // Replacing gives the same table again.
      const replaced = await duck.importFile('back', path, { replace: true });
      expect(replaced).toMatchObject({ lane: 'native', inserted: COUNT });
      expect(replaced.verification).toMatchObject({ ok: true, actualChecksum: checksum });
    },
  );

  it('appends natively with the upsert rule: the newer profile wins, an older copy is a duplicate', async () => {
    const { duck, path } = await exported('jsonl');
    await using _ = duck;
    const later = writeLines('later.jsonl', [
      '{"$distinct_id":"user_1","$properties":{"v":"stale","$last_seen":"2024-01-01T00:00:00"},"$mp_restore":{"absent":["$last_seen"]}}',
      '{"$distinct_id":"bulk_1","$properties":{"v":"fresh","$last_seen":"2024-07-01T00:00:00"}}',
      '{"$distinct_id":"newcomer","$properties":{"v":"new"}}',
    ]);
    const results = [];
    for (const backend of ['duckdb', 'sqlite'] as const) {
      await using storage = await StorageEngine.inMemory({ backend });
      await storage.importFile('profiles', path);
      const appended = await storage.importFile('profiles', later, { type: 'profiles', append: true });
      expect(appended.lane).toBe(backend === 'duckdb' ? 'native' : 'javascript');
      expect(appended).toMatchObject({ rowsRead: 3, inserted: 1, updated: 1, duplicates: 1 });
      expect(await stored(storage, 'bulk_1')).toEqual([
        '{"v":"fresh","$last_seen":"2024-07-01T00:00:00"}',
        new Date('2024-07-01T00:00:00Z'),
      ]);
      expect((await stored(storage, 'user_1'))?.[1]).toEqual(new Date('2024-06-01T10:00:00Z'));
      expect(await stored(storage, 'newcomer')).toEqual(['{"v":"new"}', null]);
      results.push(await checksumTable(storage, 'profiles'));
    }
    expect(results[0]).toEqual(results[1]);
  });

  it('reads ids, times and repeated ids like JavaScript', async () => {
    const path = writeLines('hand-made.jsonl', [
      '{"$distinct_id":123456789012345678901,"$properties":{"$last_seen":"2024-06-01"}}',
      '{"$distinct_id":7,"$properties":{"$last_seen":"2024-06-01 10:00:00.5"}}',
      '{"$distinct_id":true,"$properties":{"$last_seen":1717236000}}',
      '{"$distinct_id":"u","$properties":{"v":"old","$last_seen":"2024-06-01T00:00:00Z"}}',
      '{"$distinct_id":"u","$properties":{"v":"new","$last_seen":"2024-06-02T00:00:00.123456"}}',
      '{"$distinct_id":"u","$properties":{"v":"undated","$last_seen":"  "}}',
    ]);
    const gz = writeGzipCopy(path, file('hand-made.jsonl.gz'));
    for (const input of [path, gz]) {
      const { duck, result } = await importBothWays(input, 'profiles');
      await using _ = duck;
      expect(result).toMatchObject({
        lane: 'native',
        laneReason: null,
        rowsRead: 6,
        inserted: 4,
        duplicates: 2,
      });
      expect(
        (await duck.executeRows("SELECT distinct_id, properties->>'v', last_seen FROM profiles ORDER BY 1"))
          .rows,
      ).toEqual([
        ['123456789012345678901', null, new Date('2024-06-01T00:00:00Z')],
        ['7', null, new Date('2024-06-01T10:00:00.500Z')],
        ['true', null, null],
        ['u', 'new', new Date('2024-06-02T00:00:00.123Z')],
      ]);
    }
  });

  it('hands what the SQL does not take to JavaScript, and says why', async () => {
    // A $last_seen property contradicting the column: the export records it under "replaced".
    const { duck, path, checksum } = await exported('jsonl', [
      ...roundTripProfiles(),
      { distinct_id: 'odd', properties: { $last_seen: 'not a date' }, last_seen: '2024-06-03T00:00:00Z' },
    ]);
    await using _ = duck;
    expect(readFileSync(path, 'utf8')).toContain('"replaced":');
    const imported = await duck.importFile('back', path);
    expect(imported).toMatchObject({ lane: 'javascript', inserted: COUNT + 1 });
    expect(imported.laneReason).toMatch(/native reader rejected.*field '\$mp_restore'/);
    expect(imported.verification).toMatchObject({ ok: true, actualChecksum: checksum });

    // A time with an offset, which the JavaScript parser reads.
    const offset = writeLines('offset.jsonl', [
      '{"$distinct_id":"a","$properties":{"$last_seen":"2024-06-01T10:00:00Z"}}',
      '{"$distinct_id":"b","$properties":{"$last_seen":"2024-06-01T12:00:00+02:00"}}',
    ]);
    const { duck: fresh, result: viaJs } = await importBothWays(offset, 'profiles');
    await using _fresh = fresh;
    expect(viaJs).toMatchObject({ lane: 'javascript', inserted: 2 });
    expect(viaJs.laneReason).toMatch(/Record #2: field '\$properties\.\$last_seen'/);
    expect((await stored(fresh, 'b'))?.[1]).toEqual(new Date('2024-06-01T10:00:00Z'));
  });

  it('rejects an empty distinct_id like the JavaScript path, leaving nothing behind', async () => {
    const path = writeLines('bad.jsonl', [
      '{"$distinct_id":"a","$properties":{"$last_seen":"2024-06-01T10:00:00"}}',
      '{"$distinct_id":"","$properties":{"k":1}}',
    ]);
    await expectSameRejection(path, 'profiles', 'distinct_id');
    const missing = writeLines('null-id.jsonl', [
      '{"$distinct_id":"a","$properties":{}}',
      '{"$distinct_id":null,"$properties":{"k":1}}',
    ]);
    await expectSameRejection(missing, 'profiles', 'distinct_id');
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const reason = await duck.importFile('profiles', path, { type: 'profiles' }).catch((e: unknown) => e);
    expect(String(reason)).toMatch(/Record #2: field 'distinct_id'/);
  });

  it('rejects properties that are not an object like the JavaScript path', async () => {
    const path = writeLines('not-object.jsonl', [
      '{"$distinct_id":"a","$properties":{}}',
      '{"$distinct_id":"b","$properties":[1,2]}',
    ]);
    await expectSameRejection(path, 'profiles', '$properties');
  });
});
