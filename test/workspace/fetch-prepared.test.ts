/**
 * The DuckDB fetch prepares a chunk (parse, transform, in-file dedup) while the chunk before it is
 * being written, and stores exactly the fake's data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMixpanel } from '../../src/testing/index.js';
import { dbPath, fakeWorkspace, startFake, storedCounts } from './support/fake-workspace.js';

let fake: FakeMixpanel;
const FROM = '2024-06-01';
const TO = '2024-06-04';

beforeAll(async () => {
  fake = await startFake({ seed: 13, days: 10, eventsPerDay: 300, users: 60 });
});
afterAll(() => fake.close());

describe('fetch with prepared chunks (DuckDB)', () => {
  it('prepares the next chunk while the first is being written', async () => {
    await using ws = fakeWorkspace(fake, { path: dbPath() });
    const storage = await ws.storage();
    const staged = async () =>
      Number(
        await storage.executeScalar(
          "SELECT count(*) FROM duckdb_tables() WHERE database_name LIKE 'mp_scratch_%'",
        ),
      );
    // The first chunk's write (the create) waits until a second chunk is staged beside it, or 5 s.
    let stagedDuringFirstWrite = 0;
    const create = storage.createEventsTable.bind(storage);
    storage.createEventsTable = async (...args: Parameters<typeof create>) => {
      for (let waited = 0; waited < 5000 && stagedDuringFirstWrite < 2; waited += 20) {
        stagedDuringFirstWrite = await staged();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return create(...args);
    };
    const result = await ws.fetchEvents({
      fromDate: FROM,
      toDate: TO,
      chunkDays: 1,
      parallel: true,
      workers: 2,
    });

    // Its own staged rows and the next chunk's, prepared while it had not been written yet.
    expect(stagedDuringFirstWrite).toBe(2);
    expect(result.failedChunks).toBe(0);
    expect(result.rowsStored).toBe(fake.expected.dedupedEventCount(FROM, TO));
    expect(await storedCounts(storage)).toEqual(fake.expected.countsByEventAndDay(FROM, TO));
    expect(await staged()).toBe(0); // every chunk's staged rows were released
  });
});
