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
import { allRows, awkwardEvents, BIG, EVENTS_META } from './support/awkward-data.js';
import { csvField, expectSameRejection, hasTable, writeGzipCopy } from './support/flat-files.js';

// Flat events files (the table's columns) load through DuckDB's own readers (lane 'native'); SQLite
// reads the same files in JavaScript. Both must store the same rows, keep every digit, dedup the same
// way and reject the same records.
const dir = tempDir('mp-native-flat-');
let n = 0;
const file = (name: string) => join(dir, `${++n}-${name}`);

/** 20- and 21-digit integers: beyond 64 bits, where a double (or a 64-bit reader) would round. */
const WIDE = '123456789012345678901';
const WIDE_NEG = '-98765432109876543210';

/** Flat CSV/JSONL text of a few awkward events: wide integers, unicode, NULLs, no insert id. */
function flatRows(): Array<{
  event_name: string | null;
  event_time: string | number;
  distinct_id: string | number | null;
  insert_id: string | null;
  properties: string | null;
}> {
  return [
    {
      event_name: 'Purchase ☃',
      event_time: '2024-06-01T10:00:00.123Z',
      distinct_id: 'u1',
      insert_id: 'a',
      properties: `{"wide":${WIDE},"neg":${WIDE_NEG},"big":${BIG},"s":"é😀\\u2028, \\"q\\"","n":null,"l":[1,{"x":${WIDE}}],"mp_processing_time_ms":5}`,
    },
    // The same event again with a larger processing time: this copy wins.
    {
      event_name: 'Purchase ☃',
      event_time: '2024-06-01T10:00:00.123Z',
      distinct_id: 'u1',
      insert_id: 'a',
      properties: '{"winner":true,"mp_processing_time_ms":9}',
    },
    {
      event_name: 'Twin',
      event_time: 1717236001000,
      distinct_id: null,
      insert_id: null,
      properties: '{"k":1}',
    },
    {
      event_name: 'Twin',
      event_time: 1717236001000,
      distinct_id: null,
      insert_id: null,
      properties: '{"k":1}',
    },
    {
      event_name: 'No props',
      event_time: '2024-06-02 00:00:00',
      distinct_id: '',
      insert_id: '',
      properties: null,
    },
  ];
}

function writeCsv(path: string, rows = flatRows()): string {
  const header = 'event_name,event_time,distinct_id,insert_id,properties\n';
  const body = rows
    .map((r) =>
      // CSV holds text: epoch milliseconds are written as ISO-8601 (the JavaScript path reads no digits as time).
      [
        r.event_name,
        typeof r.event_time === 'number' ? new Date(r.event_time).toISOString() : r.event_time,
        r.distinct_id,
        r.insert_id,
        r.properties,
      ]
        .map(csvField)
        .join(','),
    )
    .join('\n');
  writeFileSync(path, `${header}${body}\n`);
  return path;
}

function writeJsonl(path: string, rows = flatRows()): string {
  const lines = rows.map(
    (r) =>
      `{"event_name":${JSON.stringify(r.event_name)},"event_time":${JSON.stringify(r.event_time)},` +
      `"distinct_id":${JSON.stringify(r.distinct_id)},"insert_id":${JSON.stringify(r.insert_id)},` +
      `"properties":${r.properties ?? 'null'}}`,
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const ORDER = ['event_time', 'insert_id'];

describe('native import of flat events files on DuckDB', () => {
  it.each(['parquet', 'csv'] as const)(
    '%s exports of awkward events come back identical through the native lane',
    async (format: FileFormat) => {
      await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
      await duck.createEventsTable('events', awkwardEvents(), EVENTS_META);
      const path = file(`events.${format}`);
      const exported = await duck.exportTable('events', { path, checksum: true });
      const imported = await duck.importFile('back', path);
      expect(imported).toMatchObject({ lane: 'native', laneReason: null, rowsRead: 256, inserted: 256 });
      expect(imported.metadataRestored).toBe(true);
      expect(imported.verification).toMatchObject({ ok: true, actualChecksum: exported.checksum });
      expect(await allRows(duck, 'back', ORDER)).toEqual(await allRows(duck, 'events', ORDER));
      const { tableName: _a, ...before } = await duck.getMetadata('events');
      const { tableName: _b, ...after } = await duck.getMetadata('back');
      expect(after).toEqual(before);

      // The same file read in JavaScript (SQLite) gives the same content.
      await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
      const viaJs = await lite.importFile('back', path);
      expect(viaJs).toMatchObject({ lane: 'javascript', laneReason: null });
      expect(await checksumTable(lite, 'back')).toEqual(await checksumTable(duck, 'back'));
    },
  );

  it.each([
    ['csv', writeCsv],
    ['jsonl', writeJsonl],
    ['csv.gz', writeGzipCsv],
    ['text.jsonl', writeJsonlTextProperties],
  ] as const)('hand-made %s: same rows, digits, dedup and derived ids as JavaScript', async (ext, write) => {
    const path = write(file(`flat.${ext}`));
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
    const native = await duck.importFile('events', path, { type: 'events' });
    const js = await lite.importFile('events', path, { type: 'events' });
    expect(native.laneReason).toBeNull();
    expect(native).toMatchObject({ lane: 'native', rowsRead: 5, inserted: 4, duplicates: 1 });
    expect(js).toMatchObject({ lane: 'javascript', rowsRead: 5, inserted: 4, duplicates: 1 });
    expect(await checksumTable(duck, 'events')).toEqual(await checksumTable(lite, 'events'));
    const ids = 'SELECT insert_id FROM events ORDER BY insert_id';
    expect((await duck.executeRows(ids)).rows).toEqual((await lite.executeRows(ids)).rows);
    const stored = String(await duck.executeScalar("SELECT properties FROM events WHERE insert_id = 'a'"));
    expect(stored).toContain('"winner":true');
    const wide = await duck.executeObjects(
      "SELECT CAST(properties AS VARCHAR) AS p FROM events WHERE event_name = 'Purchase ☃'",
    );
    expect(wide).toHaveLength(1);
    // Appending the same file stores nothing new (natively too).
    const again = await duck.importFile('events', path, { type: 'events', append: true });
    expect(again).toMatchObject({ lane: 'native', inserted: 0, duplicates: 5 });
  });

  it('keeps integers beyond 64 bits exact in every native format', async () => {
    const rows = flatRows().slice(0, 1);
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const csv = writeCsv(file('wide.csv'), rows);
    const jsonl = writeJsonl(file('wide.jsonl'), rows);
    // A Parquet file holding the properties as text, written by DuckDB itself.
    await duck.importFile('wide_csv', csv, { type: 'events' });
    const parquet = file('wide.parquet');
    await duck.exportTable('wide_csv', { path: parquet });
    await duck.importFile('wide_parquet', parquet, { sidecar: false, type: 'events' });
    await duck.importFile('wide_jsonl', jsonl, { type: 'events' });
    for (const table of ['wide_csv', 'wide_parquet', 'wide_jsonl']) {
      const p = String(await duck.executeScalar(`SELECT CAST(properties AS VARCHAR) FROM ${table}`));
      expect(p).toContain(`"wide":${WIDE}`);
      expect(p).toContain(`"neg":${WIDE_NEG}`);
      expect(p).toContain(`{"x":${WIDE}}`);
      expect(String(await duck.executeScalar(`SELECT properties->>'big' FROM ${table}`))).toBe(String(BIG));
    }
  });

  it.each([
    ['event_name', { event_name: null }, 'event_name'],
    ['an unparsable time', { event_time: 'yesterday' }, 'event_time'],
    ['properties that are no object', { properties: '[1,2]' }, 'properties'],
    ['properties that are no JSON', { properties: '{"a":' }, 'properties'],
  ] as const)('rejects %s like the JavaScript path, leaving nothing behind', async (label, change, field) => {
    const rows = flatRows();
    rows[2] = { ...rows[2]!, ...change };
    for (const path of [writeCsv(file('bad.csv'), rows), writeJsonl(file('bad.jsonl'), rows)]) {
      if (path.endsWith('.jsonl') && label === 'properties that are no JSON') continue; // not a JSON line at all
      await expectSameRejection(path, 'events', field);
    }
  });

  it('hands files the native reader is too strict for to JavaScript, and says why', async () => {
    const rows = flatRows();
    rows[4] = { ...rows[4]!, event_time: '2024-06-02T02:00:00+02:00' };
    const path = writeCsv(file('offset.csv'), rows);
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const result = await duck.importFile('events', path, { type: 'events' });
    expect(result).toMatchObject({ lane: 'javascript', rowsRead: 5, inserted: 4 });
    expect(result.laneReason).toMatch(/native reader rejected.*Record #5: field 'event_time'/);
    expect(await duck.executeScalar("SELECT event_time FROM events WHERE event_name = 'No props'")).toEqual(
      new Date('2024-06-02T00:00:00Z'),
    );
  });

  it('says why a Parquet file with other column types is read in JavaScript', async () => {
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const path = file('double-time.parquet');
    await duck.exportQuery(
      "SELECT 'E' AS event_name, 1717236000000.0::DOUBLE AS event_time, 'u' AS distinct_id, 'i' AS insert_id",
      [],
      { path },
    );
    const result = await duck.importFile('events', path, { type: 'events', sidecar: false });
    expect(result).toMatchObject({ lane: 'javascript', laneReason: 'event_time is DOUBLE', inserted: 1 });
  });

  it('replaces natively, and refuses an existing table without replace', async () => {
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const path = writeCsv(file('replace.csv'));
    await duck.importFile('events', path, { type: 'events' });
    await expect(duck.importFile('events', path, { type: 'events' })).rejects.toBeInstanceOf(
      TableExistsError,
    );
    const replaced = await duck.importFile('events', path, { type: 'events', replace: true });
    expect(replaced).toMatchObject({ lane: 'native', inserted: 4 });
    expect(await duck.executeScalar('SELECT count(*) FROM events')).toBe(4);
  });

  it('an aborted native import leaves no table and is not retried in JavaScript', async () => {
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    const path = writeCsv(file('abort.csv'));
    const controller = new AbortController();
    controller.abort();
    await expect(
      duck.importFile('events', path, { type: 'events', signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(await hasTable(duck, 'events')).toBe(false);
  });
});

/** JSON lines whose properties are a string holding the object's JSON text (as exportQuery writes them). */
function writeJsonlTextProperties(path: string): string {
  const rows = flatRows().map((r) => ({
    ...r,
    properties: r.properties === null ? null : JSON.stringify(r.properties),
  }));
  return writeJsonl(path, rows);
}

function writeGzipCsv(path: string): string {
  return writeGzipCopy(writeCsv(file('gz-source.csv')), path);
}
