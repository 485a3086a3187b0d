import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  checksumTable,
  type FileFormat,
  StorageEngine,
  TableExistsError,
} from '../../src/index.js';
import { tempDir } from '../support/temp-dir.js';
import { allRows, awkwardProfiles, BIG, PROFILES_META } from './support/awkward-data.js';
import { csvField, expectSameRejection, hasTable, writeGzipCopy } from './support/flat-files.js';

// Flat profiles files (distinct_id, properties, last_seen) load through DuckDB's own readers (lane
// 'native'); SQLite reads the same files in JavaScript. Both must store the same rows, keep every
// digit, resolve repeated distinct_ids the same way (newest last_seen wins, NULL loses, a tie goes to
// the later row) and reject the same records.
const dir = tempDir('mp-native-profiles-');
let n = 0;
const file = (name: string) => join(dir, `${++n}-${name}`);

const WIDE = '123456789012345678901';

interface FlatProfile {
  distinct_id: string | number | null;
  properties: string | null;
  last_seen: string | number | null;
}

function flatProfiles(): FlatProfile[] {
  return [
    // u1 three times: the newest last_seen wins wherever it stands.
    { distinct_id: 'u1', properties: '{"v":"old"}', last_seen: '2024-06-01T10:00:00.000Z' },
    {
      distinct_id: 'u1',
      properties: `{"v":"new","wide":${WIDE},"big":${BIG},"s":"é😀\\u2028, \\"q\\"","n":null,"l":[1,{"x":${WIDE}}]}`,
      last_seen: '2024-06-03T10:00:00.123Z',
    },
    { distinct_id: 'u1', properties: '{"v":"middle"}', last_seen: '2024-06-02 10:00:00' },
    // u2: a copy without last_seen loses to one with it.
    { distinct_id: 'u2', properties: '{"v":"dated"}', last_seen: '2024-06-01' },
    { distinct_id: 'u2', properties: '{"v":"undated"}', last_seen: null },
    // u3: a tie on last_seen goes to the later row.
    { distinct_id: 'u3', properties: '{"v":"first"}', last_seen: '2024-06-01T00:00:00Z' },
    { distinct_id: 'u3', properties: '{"v":"second"}', last_seen: '2024-06-01T00:00:00Z' },
    { distinct_id: 'ünïcødé ☃', properties: null, last_seen: '' },
    { distinct_id: 'u5', properties: '', last_seen: null },
  ];
}

function writeCsv(path: string, rows = flatProfiles()): string {
  const body = rows.map((r) => [r.distinct_id, r.properties, r.last_seen].map(csvField).join(',')).join('\n');
  writeFileSync(path, `distinct_id,properties,last_seen\n${body}\n`);
  return path;
}

function writeJsonl(path: string, rows = flatProfiles(), propertiesAsText = false): string {
  const props = (p: string | null) =>
    p === null ? 'null' : propertiesAsText || p === '' ? JSON.stringify(p) : p;
  const lines = rows.map(
    (r) =>
      `{"distinct_id":${JSON.stringify(r.distinct_id)},"properties":${props(r.properties)},` +
      `"last_seen":${JSON.stringify(r.last_seen)}}`,
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const writeJsonlText = (path: string) => writeJsonl(path, flatProfiles(), true);
function writeGzipCsv(path: string): string {
  return writeGzipCopy(writeCsv(file('gz-source.csv')), path);
}

const versions = async (storage: StorageEngine) =>
  (
    await storage.executeRows(
      "SELECT distinct_id, properties->>'v', last_seen FROM profiles ORDER BY distinct_id",
    )
  ).rows;

describe('native import of flat profiles files on DuckDB', () => {
  it.each(['parquet', 'csv'] as const)(
    '%s exports of awkward profiles come back identical through the native lane',
    async (format: FileFormat) => {
      await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
      await duck.createProfilesTable('profiles', awkwardProfiles(), PROFILES_META);
      const path = file(`profiles.${format}`);
      const exported = await duck.exportTable('profiles', { path, checksum: true });
      const imported = await duck.importFile('back', path);
      const count = awkwardProfiles().length;
      expect(imported).toMatchObject({
        type: 'profiles',
        lane: 'native',
        laneReason: null,
        rowsRead: count,
        inserted: count,
        metadataRestored: true,
      });
      expect(imported.verification).toMatchObject({ ok: true, actualChecksum: exported.checksum });
      expect(await allRows(duck, 'back', ['distinct_id'])).toEqual(
        await allRows(duck, 'profiles', ['distinct_id']),
      );
      const { tableName: _a, ...before } = await duck.getMetadata('profiles');
      const { tableName: _b, ...after } = await duck.getMetadata('back');
      expect(after).toEqual(before);

      // The same file read in JavaScript (SQLite) gives the same content.
      await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
      expect(await lite.importFile('back', path)).toMatchObject({ lane: 'javascript', laneReason: null });
      expect(await checksumTable(lite, 'back')).toEqual(await checksumTable(duck, 'back'));
    },
  );

  it.each([
    ['csv', writeCsv],
    ['jsonl', writeJsonl],
    ['csv.gz', writeGzipCsv],
    ['text.jsonl', writeJsonlText],
  ] as const)('hand-made %s: same winners, digits and counts as JavaScript', async (ext, write) => {
    const path = write(file(`flat.${ext}`));
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
    const native = await duck.importFile('profiles', path, { type: 'profiles' });
    const js = await lite.importFile('profiles', path, { type: 'profiles' });
    expect(native).toMatchObject({
      lane: 'native',
      laneReason: null,
      rowsRead: 9,
      inserted: 5,
      duplicates: 4,
    });
    expect(js).toMatchObject({ lane: 'javascript', rowsRead: 9, inserted: 5, duplicates: 4 });
    expect(await checksumTable(duck, 'profiles')).toEqual(await checksumTable(lite, 'profiles'));
    expect(await versions(duck)).toEqual([
      ['u1', 'new', new Date('2024-06-03T10:00:00.123Z')],
      ['u2', 'dated', new Date('2024-06-01T00:00:00.000Z')],
      ['u3', 'second', new Date('2024-06-01T00:00:00.000Z')],
      ['u5', null, null],
      ['ünïcødé ☃', null, null],
    ]);
    const stored = String(
      await duck.executeScalar("SELECT properties FROM profiles WHERE distinct_id = 'u1'"),
    );
    expect(stored).toContain(`"wide":${WIDE}`);
    expect(stored).toContain(`{"x":${WIDE}}`);
    expect(
      String(await duck.executeScalar("SELECT properties->>'big' FROM profiles WHERE distinct_id = 'u1'")),
    ).toBe(String(BIG));
  });

  it('appends natively with the upsert rule: newer wins, an older copy is a duplicate', async () => {
    const first = writeCsv(file('first.csv'));
    const later = writeCsv(file('later.csv'), [
      { distinct_id: 'u1', properties: '{"v":"stale"}', last_seen: '2024-01-01T00:00:00Z' },
      { distinct_id: 'u2', properties: '{"v":"fresh"}', last_seen: '2024-07-01T00:00:00Z' },
      { distinct_id: 'u9', properties: '{"v":"brand new"}', last_seen: null },
    ]);
    const results = [];
    for (const backend of ['duckdb', 'sqlite'] as const) {
      await using storage = await StorageEngine.inMemory({ backend });
      await storage.importFile('profiles', first, { type: 'profiles' });
      const appended = await storage.importFile('profiles', later, { type: 'profiles', append: true });
      expect(appended.lane).toBe(backend === 'duckdb' ? 'native' : 'javascript');
      expect(appended).toMatchObject({ rowsRead: 3, inserted: 1, updated: 1, duplicates: 1 });
      expect((await versions(storage)).map((r) => r.slice(0, 2))).toEqual([
        ['u1', 'new'],
        ['u2', 'fresh'],
        ['u3', 'second'],
        ['u5', null],
        ['u9', 'brand new'],
        ['ünïcødé ☃', null],
      ]);
      results.push(await checksumTable(storage, 'profiles'));
    }
    expect(results[0]).toEqual(results[1]);
  });

  it.each([
    ['an empty distinct_id', { distinct_id: '' }, 'distinct_id'],
    ['a missing distinct_id', { distinct_id: null }, 'distinct_id'],
    ['properties that are no object', { properties: '[1,2]' }, 'properties'],
    ['an unparsable last_seen', { last_seen: 'yesterday' }, 'last_seen'],
  ] as const)(
    'rejects %s like the JavaScript path, leaving nothing behind',
    async (_label, change, field) => {
      const rows = flatProfiles();
      rows[3] = { ...rows[3]!, ...change };
      for (const path of [writeCsv(file('bad.csv'), rows), writeJsonl(file('bad.jsonl'), rows)]) {
        await expectSameRejection(path, 'profiles', field);
      }
    },
  );

  it('hands files the native reader is too strict for to JavaScript, and says why', async () => {
    const rows = flatProfiles();
    rows[3] = { ...rows[3]!, last_seen: '2024-06-01T02:00:00+02:00' };
    const path = writeCsv(file('offset.csv'), rows);
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const result = await duck.importFile('profiles', path, { type: 'profiles' });
    expect(result).toMatchObject({ lane: 'javascript', rowsRead: 9, inserted: 5 });
    expect(result.laneReason).toMatch(/native reader rejected.*Record #4: field 'last_seen'/);
    expect(await duck.executeScalar("SELECT last_seen FROM profiles WHERE distinct_id = 'u2'")).toEqual(
      new Date('2024-06-01T00:00:00Z'),
    );
  });

  it('says why a Parquet file with other column types is read in JavaScript', async () => {
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const path = file('double-seen.parquet');
    await duck.exportQuery("SELECT 'u' AS distinct_id, 1717236000000.0::DOUBLE AS last_seen", [], { path });
    const result = await duck.importFile('profiles', path, { type: 'profiles', sidecar: false });
    expect(result).toMatchObject({ lane: 'javascript', laneReason: 'last_seen is DOUBLE', inserted: 1 });
  });

  it('reads integer ids natively as their digits', async () => {
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const path = file('int-ids.parquet');
    await duck.exportQuery(
      "SELECT 9007199254740993::BIGINT AS distinct_id, '{}' AS properties, 1717236000000::BIGINT AS last_seen",
      [],
      { path },
    );
    const result = await duck.importFile('profiles', path, { type: 'profiles', sidecar: false });
    expect(result.lane).toBe('native');
    expect((await duck.executeRows('SELECT distinct_id, last_seen FROM profiles')).rows).toEqual([
      ['9007199254740993', new Date(1717236000000)],
    ]);
  });

  it('replaces natively, and refuses an existing table without replace', async () => {
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const path = writeCsv(file('replace.csv'));
    await duck.importFile('profiles', path, { type: 'profiles' });
    await expect(duck.importFile('profiles', path, { type: 'profiles' })).rejects.toBeInstanceOf(
      TableExistsError,
    );
    const replaced = await duck.importFile('profiles', path, { type: 'profiles', replace: true });
    expect(replaced).toMatchObject({ lane: 'native', inserted: 5 });
    expect(await duck.executeScalar('SELECT count(*) FROM profiles')).toBe(5);
  });

  it('an aborted native import leaves no table and is not retried in JavaScript', async () => {
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const controller = new AbortController();
    controller.abort();
    await expect(
      duck.importFile('profiles', writeCsv(file('abort.csv')), {
        type: 'profiles',
        signal: controller.signal,
      }),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(await hasTable(duck, 'profiles')).toBe(false);
  });
});
