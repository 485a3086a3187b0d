import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidRecordError, MixpanelExportFile, StorageEngine, UnsupportedError } from '../../src/index.js';
import { parseJsonLossless } from '../../src/values/json-text.js';
import { tempDir } from '../support/temp-dir.js';

// The fetch path's fast lane: DuckDB loads Mixpanel export JSONL itself. It must store exactly what
// the record path stores (same dedup rule, same transform, same atomicity).
describe('MixpanelExportFile on DuckDB', () => {
  const dir = tempDir('mp-export-file-');
  const line = (event: string, props: Record<string, unknown>) =>
    JSON.stringify({ event, properties: props }).replace('"ACCOUNT"', '3928097563762691601');

  function file(lines: string[], name = `f${Math.random().toString(36).slice(2)}.jsonl`) {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  }

  it('transforms, dedups and keeps 19-digit ids exact', async () => {
    await using s = await StorageEngine.inMemory();
    expect(s.supportsMixpanelExportFiles).toBe(true);
    const base = { time: 1717243512, distinct_id: 'u1', $insert_id: 'a1', account_id: 'ACCOUNT' };
    const path = file([
      line('Purchase', { ...base, mp_processing_time_ms: 5, $city: 'Lyon' }),
      line('Purchase', { ...base, mp_processing_time_ms: 9, $city: 'Paris' }),
      line('Purchase', { ...base, mp_processing_time_ms: 7, $city: 'Nice' }),
      line('Sign Up', { time: 1717243590, distinct_id: '', s: 'a\u2028b é 😀' }),
      line('Sign Up', { time: 1717243590, distinct_id: '', s: 'a\u2028b é 😀' }),
      line('Tap', { time: 1717243600, $insert_id: 'x' }),
    ]);
    const stored = await s.createEventsTable('events', new MixpanelExportFile(path), { type: 'events' });
    expect(stored).toBe(4);
    const rows = await s.executeObjects(
      'SELECT event_name, event_time, distinct_id, insert_id, properties FROM events ORDER BY event_time, insert_id',
    );
    expect(rows.map((r) => [r.event_name, r.distinct_id])).toEqual([
      ['Purchase', 'u1'],
      ['Sign Up', ''],
      ['Sign Up', ''],
      ['Tap', ''],
    ]);
    expect(rows[0]?.event_time).toEqual(new Date(1717243512000));
    const purchase = parseJsonLossless(rows[0]?.properties as string) as Record<string, unknown>;
    expect(purchase.$city).toBe('Paris');
    expect(purchase.account_id).toBe(3928097563762691601n);
    // Two identical events without $insert_id stay two rows, with stable derived ids.
    expect(rows[1]?.insert_id).toMatch(/^~[0-9a-f]{24}-1$/);
    expect(rows[2]?.insert_id).toMatch(/^~[0-9a-f]{24}-2$/);
    expect(parseJsonLossless(rows[1]?.properties as string)).toEqual({
      time: 1717243590,
      distinct_id: '',
      s: 'a\u2028b é 😀',
    });
    // The same file again: everything is a duplicate.
    expect(await s.appendEventsTable('events', new MixpanelExportFile(path))).toEqual({
      inserted: 0,
      updated: 0,
      duplicates: 6,
      replaced: 0,
    });
  });

  it('ranks duplicates by the engine rule: processing times truncated, strings and booleans are none', async () => {
    await using s = await StorageEngine.inMemory();
    const at = (id: string, city: string, proc: string | undefined) =>
      `{"event":"Purchase","properties":{"time":1717243512,"distinct_id":"u1","$insert_id":"${id}","city":"${city}"` +
      `${proc === undefined ? '' : `,"mp_processing_time_ms":${proc}`}}}`;
    const lines = [
      at('tie', 'first', '7'),
      at('tie', 'second', '7'), // same processing time: the later line wins
      at('frac', 'truncated', '2.9'),
      at('frac', 'later', '2'), // 2.9 counts as 2 (not rounded to 3): a tie, the later line wins
      at('none', 'with time', '1'),
      at('none', 'without', undefined), // a missing time loses to any time
      at('text', 'numeric', '1'),
      at('text', 'string', '"99"'), // a string is not a processing time
      at('bool', 'numeric', '0'),
      at('bool', 'boolean', 'true'), // nor is a boolean
      at('big', 'bigint', '9007199254740993'),
      at('big', 'number', '9007199254740990'),
    ];
    const winners = async () =>
      (await s.executeRows("SELECT insert_id, properties->>'city' FROM events ORDER BY insert_id")).rows;
    const expected = [
      ['big', 'bigint'],
      ['bool', 'numeric'],
      ['frac', 'later'],
      ['none', 'with time'],
      ['text', 'numeric'],
      ['tie', 'second'],
    ];
    expect(await s.createEventsTable('events', new MixpanelExportFile(file(lines)))).toBe(6);
    expect(await winners()).toEqual(expected);
    // The same rule when the file is prepared beside a write (the fetch's path).
    await using prepared = await s.prepareExportFile(new MixpanelExportFile(file(lines)));
    await s.createEventsTable('events', prepared, { type: 'events' }, { replace: true });
    expect(await winners()).toEqual(expected);
  });

  it('reads time in milliseconds when asked', async () => {
    await using s = await StorageEngine.inMemory();
    const path = file([line('E', { time: 1717243512345, distinct_id: 'u', $insert_id: 'i' })]);
    await s.createEventsTable('events', new MixpanelExportFile(path, { timeInMs: true }), { type: 'events' });
    expect(await s.executeScalar('SELECT event_time FROM events')).toEqual(new Date(1717243512345));
  });

  it('names the first bad line and leaves nothing behind', async () => {
    await using s = await StorageEngine.inMemory();
    const path = file([
      line('E', { time: 1, $insert_id: 'a' }),
      line('E', { distinct_id: 'no time', $insert_id: 'b' }),
    ]);
    const error = await s
      .createEventsTable('events', new MixpanelExportFile(path), { type: 'events' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect((error as InvalidRecordError).position).toBe(2);
    expect((error as InvalidRecordError).field).toBe('properties.time');
    expect(await s.tableExists('events')).toBe(false);
  });

  it('stages fetched files outside the database file (TEMP): a failed append leaves the file as it was', async () => {
    const path = join(dir, 'temp-staging.duckdb');
    await using s = await StorageEngine.open({ path });
    const lines = (day: number, count: number) =>
      Array.from({ length: count }, (_, i) =>
        line('Page View', {
          time: 1717200000 + day * 86400 + i,
          distinct_id: `u${i % 50}`,
          $insert_id: `d${day}-${i}`,
          pad: 'p'.repeat(300),
        }),
      );
    expect(
      await s.createEventsTable('events', new MixpanelExportFile(file(lines(0, 1000))), { type: 'events' }),
    ).toBe(1000);
    await s.executeScalar('CHECKPOINT');
    const before = statSync(path).size;
    // 150,000 good events (more than a DuckDB row group, which a table in the file would write out
    // as it goes), then a line without a time: the append fails at the end and rolls back.
    const bad = file([
      ...lines(1, 150_000),
      JSON.stringify({ event: 'Broken', properties: { distinct_id: 'x' } }),
    ]);
    await expect(s.appendEventsTable('events', new MixpanelExportFile(bad))).rejects.toBeInstanceOf(
      InvalidRecordError,
    );
    await s.executeScalar('CHECKPOINT');
    expect(statSync(path).size).toBe(before);
    expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(1000);
    // The same good lines then land whole.
    expect(
      (await s.appendEventsTable('events', new MixpanelExportFile(file(lines(1, 150_000))))).inserted,
    ).toBe(150_000);
  });

  it('is refused by backends without a native JSON loader', async () => {
    await using s = await StorageEngine.inMemory({ backend: 'sqlite' });
    expect(s.supportsMixpanelExportFiles).toBe(false);
    await expect(
      s.createEventsTable('events', new MixpanelExportFile(file([])), { type: 'events' }),
    ).rejects.toBeInstanceOf(UnsupportedError);
  });
});
