import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageEngine } from '../../src/index.js';
import { isNativeMixpanelJsonl } from '../../src/io/native-jsonl-eligibility.js';
import { tempDir } from '../support/temp-dir.js';

// Importing Mixpanel's raw export JSONL: DuckDB loads it natively (read_json), SQLite through the
// JavaScript parser. Both must store the same rows with the same dedup.
describe('import of raw Mixpanel export lines', () => {
  const dir = tempDir('mp-native-import-');
  const lines = [
    '{"event":"Purchase","properties":{"time":1717243512,"distinct_id":"u1","$insert_id":"a","mp_processing_time_ms":5,"account_id":3928097563762691601}}',
    '{"event":"Purchase","properties":{"time":1717243512,"distinct_id":"u1","$insert_id":"a","mp_processing_time_ms":9,"city":"Paris"}}',
    '{"event":"Sign Up","properties":{"time":1717243590,"distinct_id":"","s":"é😀\u2028"}}',
    '{"event":"Sign Up","properties":{"time":1717243590,"distinct_id":"","s":"é😀\u2028"}}',
    '{"event":"Tap","properties":{"time":1717243600,"$insert_id":"x"}}',
  ];
  const file = join(dir, 'export.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);

  it('recognises which files the native loader can take', async () => {
    expect(await isNativeMixpanelJsonl(file)).toBe(true);
    const wide = join(dir, 'wide.jsonl');
    writeFileSync(wide, '{"event":"E","properties":{"time":1,"id":123456789012345678901}}\n');
    expect(await isNativeMixpanelJsonl(wide)).toBe(false);
    const flat = join(dir, 'flat.jsonl');
    writeFileSync(flat, '{"event_name":"E","event_time":"2024-06-01T00:00:00Z"}\n');
    expect(await isNativeMixpanelJsonl(flat)).toBe(false);
  });

  it.each(['duckdb', 'sqlite'] as const)('stores the same rows on %s', async (backend) => {
    await using storage = await StorageEngine.inMemory({ backend });
    const result = await storage.importFile('events', file, { type: 'events' });
    expect(result).toMatchObject({ rowsRead: 5, inserted: 4, duplicates: 1 });
    const rows = await storage.executeObjects(
      "SELECT event_name, distinct_id, properties->>'city' AS city FROM events ORDER BY event_time, insert_id",
    );
    expect(rows).toEqual([
      { event_name: 'Purchase', distinct_id: 'u1', city: 'Paris' },
      { event_name: 'Sign Up', distinct_id: '', city: null },
      { event_name: 'Sign Up', distinct_id: '', city: null },
      { event_name: 'Tap', distinct_id: '', city: null },
    ]);
    const again = await storage.importFile('events', file, { type: 'events', append: true });
    expect(again).toMatchObject({ inserted: 0, duplicates: 5 });
  });
});
