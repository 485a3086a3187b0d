import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumTable, type EventRecord, StorageEngine } from '../../src/index.js';
import { events } from '../support/records.js';
import { tempDir } from '../support/temp-dir.js';
import { allRows, BIG, EVENTS_META } from './support/awkward-data.js';
import { expectSameRejection, writeGzipCopy } from './support/flat-files.js';

// This package's own JSON-lines exports of events tables (Mixpanel's raw shape, with `$mp_restore`
// members where the stored properties lack time/distinct_id/$insert_id) load through DuckDB natively
// and come back byte for byte; a line that needs the JavaScript transform sends the file there.
const dir = tempDir('mp-native-lines-');
let n = 0;
const file = (name: string) => join(dir, `${++n}-${name}`);

const WIDE = 123456789012345678901n;
const ORDER = ['event_time', 'insert_id'];

/** Awkward events whose export needs no `replaced` restore (the properties never contradict the columns). */
function* roundTripEvents(): Generator<EventRecord> {
  yield {
    event_name: 'Purchase ☃',
    event_time: '2024-06-01T10:00:00.123Z',
    distinct_id: 'user_1',
    insert_id: 'a1',
    properties: {
      wide: WIDE,
      negativeWide: -WIDE,
      big: BIG,
      nested: { list: [1, 'two', { deep: [WIDE] }], empty: {}, emptyList: [] },
      unicode: 'héllo ☃ 🎉 \u2028 "quotes", commas\nnew line\ttab',
      nullValue: null,
      float: 1e21,
      tiny: 1.5e-7,
      'key"quote': "it's",
      mp_processing_time_ms: 1717236000123,
    },
  };
  // NULL properties: nullProperties in the restore member.
  yield { event_name: 'No props', event_time: Date.UTC(2024, 5, 1, 11), distinct_id: '', insert_id: 'n1' };
  // An empty object: every derived key is appended and cut off again.
  yield {
    event_name: 'Empty',
    event_time: Date.UTC(2024, 5, 1, 12),
    distinct_id: 'u',
    insert_id: 'e1',
    properties: {},
  };
  // Exactly as fetched from Mixpanel: no restore member at all.
  yield {
    event_name: 'Mixpanel shaped',
    event_time: 1717236000000,
    distinct_id: 'user_2',
    insert_id: 'mx-1',
    properties: { time: 1717236000, distinct_id: 'user_2', $insert_id: 'mx-1', id: BIG },
  };
  // No insert id: the engine derives one, which the export carries as $insert_id.
  yield { event_name: 'Twin', event_time: 1717236001000, distinct_id: 'u', properties: { n: 1 } };
  yield { event_name: 'Twin', event_time: 1717236001000, distinct_id: 'u', properties: { n: 1 } };
  yield* events(200);
}

async function exported(ext: 'jsonl' | 'jsonl.gz') {
  const duck = await StorageEngine.inMemory({ backend: 'duckdb' });
  await duck.createEventsTable('events', roundTripEvents(), EVENTS_META);
  const path = file(`events.${ext}`);
  const result = await duck.exportTable('events', { path, checksum: true });
  return { duck, path, checksum: result.checksum };
}

describe('native import of our own events JSON lines on DuckDB', () => {
  it.each(['jsonl', 'jsonl.gz'] as const)(
    '%s export comes back byte for byte through the native lane',
    async (ext) => {
      const { duck, path, checksum } = await exported(ext);
      await using _ = duck;
      if (ext === 'jsonl') expect(readFileSync(path, 'utf8')).toContain('"$mp_restore":{"absent":');
      const imported = await duck.importFile('back', path);
      expect(imported).toMatchObject({
        lane: 'native',
        laneReason: null,
        rowsRead: 206,
        inserted: 206,
        metadataRestored: true,
      });
      expect(imported.verification).toMatchObject({ ok: true, actualChecksum: checksum });
      // Every column, properties text included (wide digits, 1e+21, key order, NULL properties).
      expect(await allRows(duck, 'back', ORDER)).toEqual(await allRows(duck, 'events', ORDER));
      const wide = String(await duck.executeScalar("SELECT properties FROM back WHERE insert_id = 'a1'"));
      expect(wide).toContain(`"wide":${WIDE},"negativeWide":-${WIDE}`);
      expect(wide).toContain('"float":1e+21');
      expect(await duck.executeScalar("SELECT properties FROM back WHERE insert_id = 'n1'")).toBeNull();
      expect(await duck.executeScalar("SELECT properties FROM back WHERE insert_id = 'e1'")).toBe('{}');

      // The JavaScript path (SQLite) stores the same content; appending again stores nothing.
      await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
      expect(await lite.importFile('back', path)).toMatchObject({ lane: 'javascript', inserted: 206 });
      expect(await checksumTable(lite, 'back')).toEqual(await checksumTable(duck, 'back'));
      const again = await duck.importFile('back', path, { append: true });
      expect(again).toMatchObject({ lane: 'native', inserted: 0, duplicates: 206 });
    },
  );

  it('hands a file with a replaced restore to JavaScript, and says why', async () => {
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    await duck.createEventsTable('events', roundTripEvents(), EVENTS_META);
    // Properties contradicting the columns: the export records the originals under "replaced".
    await duck.appendEventsTable('events', [
      {
        event_name: 'Odd',
        event_time: 1717236000500,
        distinct_id: '42',
        insert_id: 'odd-1',
        properties: { time: 1717236000500, distinct_id: 42, $insert_id: 'different' },
      },
    ]);
    const path = file('replaced.jsonl');
    const { checksum } = await duck.exportTable('events', { path, checksum: true });
    expect(readFileSync(path, 'utf8')).toContain('"replaced":');
    const imported = await duck.importFile('back', path);
    expect(imported).toMatchObject({ lane: 'javascript', inserted: 207 });
    expect(imported.laneReason).toMatch(/native reader rejected.*field '\$mp_restore'/);
    expect(imported.verification).toMatchObject({ ok: true, actualChecksum: checksum });
  });

  it('hands lines without an insert id to JavaScript, which derives it', async () => {
    const lines = [
      '{"event":"A","properties":{"time":1717236000,"distinct_id":"u","$insert_id":"x"},"$mp_restore":{"absent":["time"]}}',
      '{"event":"B","properties":{"time":1717236001.5,"distinct_id":"u","k":1}}',
    ];
    const path = file('no-id.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
    const result = await duck.importFile('events', path, { type: 'events' });
    expect(result).toMatchObject({ lane: 'javascript', inserted: 2 });
    expect(result.laneReason).toMatch(/Record #2: field 'properties.\$insert_id'/);
    await lite.importFile('events', path, { type: 'events' });
    expect(await checksumTable(duck, 'events')).toEqual(await checksumTable(lite, 'events'));
  });

  it('reads times with fractions, integer ids and gzip natively, like JavaScript', async () => {
    const lines = [
      '{"event":"A","properties":{"time":1717236000.123,"distinct_id":123456789012345678901,"$insert_id":"x","mp_processing_time_ms":9}}',
      '{"event":"B","properties":{"time":1717236001.9995,"distinct_id":7,"$insert_id":12345678901234567890123}}',
    ];
    const plain = file('ids.jsonl');
    writeFileSync(plain, `${lines.join('\n')}\n`);
    const gz = writeGzipCopy(plain, file('ids.jsonl.gz'));
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
    const native = await duck.importFile('events', gz, { type: 'events' });
    expect(native).toMatchObject({ lane: 'native', laneReason: null, inserted: 2 });
    await lite.importFile('events', gz, { type: 'events' });
    expect(await checksumTable(duck, 'events')).toEqual(await checksumTable(lite, 'events'));
    expect(
      (await duck.executeRows('SELECT distinct_id, insert_id, event_time FROM events ORDER BY 3')).rows,
    ).toEqual([
      ['123456789012345678901', 'x', new Date('2024-06-01T10:00:00.123Z')],
      ['7', '12345678901234567890123', new Date(Math.round(1717236001.9995 * 1000))],
    ]);
  });

  it('rejects an empty event name like the JavaScript path, leaving nothing behind', async () => {
    const path = file('bad.jsonl');
    writeFileSync(
      path,
      '{"event":"A","properties":{"time":1,"$insert_id":"a"},"$mp_restore":{"absent":["distinct_id"]}}\n' +
        '{"event":"","properties":{"time":2,"$insert_id":"b"}}\n',
    );
    await expectSameRejection(path, 'events', 'event_name');
  });

  it('skips empty lines and reads CRLF natively like JavaScript; a line of spaces fails on both', async () => {
    const lines = [
      '{"event":"A","properties":{"distinct_id":"u","$insert_id":"x","s":"a\\r\\nb","time":1717236000},"$mp_restore":{"absent":["time"]}}',
      '{"event":"B","properties":{"time":1717236001.5,"distinct_id":"u","$insert_id":"y","k":1}}',
      '{"event":"C","properties":{"time":1717236002,"$insert_id":"z","distinct_id":"v"},"$mp_restore":{"absent":["distinct_id"],"nullProperties":true}}',
    ];
    const path = file('crlf.jsonl');
    writeFileSync(path, `${lines.join('\r\n\r\n')}\n\r\n`);
    await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
    await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
    expect(await duck.importFile('events', path, { type: 'events' })).toMatchObject({
      lane: 'native',
      inserted: 3,
    });
    await lite.importFile('events', path, { type: 'events' });
    expect(await checksumTable(duck, 'events')).toEqual(await checksumTable(lite, 'events'));
    expect(await duck.executeScalar("SELECT properties FROM events WHERE insert_id = 'x'")).toBe(
      '{"distinct_id":"u","$insert_id":"x","s":"a\\r\\nb"}',
    );

    const spaces = file('spaces.jsonl');
    writeFileSync(spaces, `${lines.join('\n')}\n   \n`);
    await expectSameRejection(spaces, 'events', 'line');
  });
});
