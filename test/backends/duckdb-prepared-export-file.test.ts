import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  type EventRecord,
  InvalidArgumentError,
  InvalidRecordError,
  MixpanelExportFile,
  ReadOnlyError,
  StorageEngine,
  UnsupportedError,
} from '../../src/index.js';
import { tempDir } from '../support/temp-dir.js';

// A fetch prepares one chunk (parse, transform, in-file dedup) beside the write of the chunk before
// it. A prepared file must store exactly what the file itself stores, and leave nothing behind.
describe('PreparedExportFile on DuckDB', () => {
  const dir = tempDir('mp-prepared-');
  let files = 0;

  function file(lines: readonly string[]): MixpanelExportFile {
    const path = join(dir, `f${files++}.jsonl`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return new MixpanelExportFile(path);
  }

  /** `count` events of one day; every 10th is sent twice, the second copy processed later. */
  function dayLines(day: number, count: number): string[] {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const properties = {
        time: 1717200000 + day * 86400 + i,
        distinct_id: `u${i % 37}`,
        ...(i % 50 === 7 ? {} : { $insert_id: `d${day}-${i}` }),
        mp_processing_time_ms: 1000 + i,
        n: i,
      };
      const line = JSON.stringify({ event: i % 3 ? 'View' : 'Buy', properties });
      lines.push(line);
      if (i % 10 === 0) {
        lines.push(
          line.replace(`"mp_processing_time_ms":${1000 + i}`, `"mp_processing_time_ms":${9000 + i}`),
        );
      }
    }
    return lines;
  }

  const contents = (s: StorageEngine) =>
    s.executeRows(
      'SELECT event_name, event_time, distinct_id, insert_id, CAST(properties AS VARCHAR) FROM events ORDER BY ALL',
    );
  const scratchTables = (s: StorageEngine) =>
    s.executeScalar("SELECT count(*) FROM duckdb_tables() WHERE database_name LIKE 'mp_scratch_%'");

  it('stores exactly what the file stores, on create, append and replace, and reports the same counts', async () => {
    await using direct = await StorageEngine.inMemory();
    await using prepared = await StorageEngine.inMemory();
    expect(prepared.supportsPreparedExportFiles).toBe(true);
    const day0 = file(dayLines(0, 3000));
    const day1 = file(dayLines(1, 2000));

    const created = await direct.createEventsTable('events', day0);
    const p0 = await prepared.prepareExportFile(day0);
    expect([p0.staged, p0.duplicates]).toEqual([3300, 300]);
    expect(await prepared.createEventsTable('events', p0)).toBe(created);
    await p0.release();

    const appended = await direct.appendEventsTable('events', day1);
    await using p1 = await prepared.prepareExportFile(day1);
    expect(await prepared.appendEventsTable('events', p1)).toEqual(appended);
    // The winner of each repeated event is the later-processed copy, as on the direct path.
    expect(
      await prepared.executeScalar(
        "SELECT count(*) FROM events WHERE CAST(properties->>'$.mp_processing_time_ms' AS BIGINT) >= 9000",
      ),
    ).toBe(500);
    expect(await contents(prepared)).toEqual(await contents(direct));

    // A re-fetched day replaces its stored copy (the fetch's replaceRange), and a replace of the table.
    const range = { from: new Date(1717286400000), to: new Date(1717372800000) };
    const again = await direct.appendEventsTable('events', day1, { replaceRange: range });
    await using p2 = await prepared.prepareExportFile(day1);
    expect(await prepared.appendEventsTable('events', p2, { replaceRange: range })).toEqual(again);
    expect(again.replaced).toBe(2000);
    await direct.createEventsTable('events', day1, { type: 'events' }, { replace: true });
    await using p3 = await prepared.prepareExportFile(day1);
    await prepared.createEventsTable('events', p3, { type: 'events' }, { replace: true });
    expect(await contents(prepared)).toEqual(await contents(direct));
    expect(await prepared.executeScalar('SELECT count(*) FROM events')).toBe(2000);
  });

  it('is written once, and its staged rows are gone once released', async () => {
    await using s = await StorageEngine.inMemory();
    const p = await s.prepareExportFile(file(dayLines(0, 100)));
    expect(await scratchTables(s)).toBe(1);
    await s.createEventsTable('events', p);
    await expect(s.appendEventsTable('events', p)).rejects.toBeInstanceOf(InvalidArgumentError);
    await p.release();
    await p.release(); // idempotent
    expect(await scratchTables(s)).toBe(0);
    const unused = await s.prepareExportFile(file(dayLines(1, 10)));
    await unused.release();
    await expect(s.appendEventsTable('events', unused)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(100);
    // Another engine cannot see the staged rows: refused by name, not a missing-table error.
    await using other = await StorageEngine.inMemory();
    await using elsewhere = await s.prepareExportFile(file(dayLines(2, 10)));
    const error = await other.createEventsTable('events', elsewhere).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/prepared by another storage engine/);
    expect(await other.tableExists('events')).toBe(false);
  });

  it('names the first bad line when preparing, and leaves nothing staged', async () => {
    await using s = await StorageEngine.inMemory();
    const bad = file([
      JSON.stringify({ event: 'E', properties: { time: 1, $insert_id: 'a' } }),
      JSON.stringify({ event: 'E', properties: { distinct_id: 'no time', $insert_id: 'b' } }),
    ]);
    const error = await s.prepareExportFile(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect((error as InvalidRecordError).position).toBe(2);
    expect((error as InvalidRecordError).field).toBe('properties.time');
    expect(await scratchTables(s)).toBe(0);
  });

  it('runs beside a write in progress, which then reads it', async () => {
    const path = join(dir, 'beside.duckdb');
    await using s = await StorageEngine.open({ path });
    let preparing: Promise<unknown> | undefined;
    const big = file(dayLines(5, 20_000));
    async function* records(): AsyncGenerator<EventRecord> {
      for (let i = 0; i < 60_000; i++) {
        // Start the preparation while this write's transaction is open.
        if (i === 1000) preparing = s.prepareExportFile(big);
        yield { event_name: 'Load', event_time: 1717000000000 + i, distinct_id: 'u', insert_id: `r${i}` };
      }
      await preparing;
    }
    expect(await s.createEventsTable('events', records())).toBe(60_000);
    const p = (await preparing) as Awaited<ReturnType<StorageEngine['prepareExportFile']>>;
    expect((await s.appendEventsTable('events', p)).inserted).toBe(20_000);
    await p.release();
    expect(await s.executeScalar("SELECT count(*) FROM events WHERE event_name <> 'Load'")).toBe(20_000);
    // The scratch database is this engine's: a second engine on the file (sharing DuckDB's
    // instance) sees it while the first is open and not after it closed.
    await using other = await StorageEngine.open({ path });
    const scratch = "SELECT count(*) FROM duckdb_databases() WHERE database_name LIKE 'mp_scratch_%'";
    expect(await other.executeScalar(scratch)).toBe(1);
    await s.close();
    expect(await other.executeScalar(scratch)).toBe(0);
  });

  it('stops at an abort, and close() interrupts a preparation still running', async () => {
    await using s = await StorageEngine.inMemory();
    const big = file(dayLines(2, 300_000));
    const before = new AbortController();
    before.abort();
    await expect(s.prepareExportFile(big, { signal: before.signal })).rejects.toBeInstanceOf(AbortedError);

    const during = new AbortController();
    const aborted = s.prepareExportFile(big, { signal: during.signal });
    setTimeout(() => during.abort(), 50);
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    expect(await scratchTables(s)).toBe(0);

    const running = s.prepareExportFile(big).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await s.close();
    expect(await running).toBeInstanceOf(Error);
  });

  it("leaves the user's database alone: tables, stats and a backup see only its own tables", async () => {
    const path = join(dir, 'own.duckdb');
    await using s = await StorageEngine.open({ path });
    await using first = await s.prepareExportFile(file(dayLines(3, 200)));
    await s.createEventsTable('events', first);
    await using _waiting = await s.prepareExportFile(file(dayLines(4, 200)));
    expect(await scratchTables(s)).toBe(2);
    expect((await s.listTables()).map((t) => t.name)).toEqual(['events']);
    expect((await s.stats()).tables.map((t) => t.name)).toEqual(['events']);
    const backup = await s.backup(join(dir, 'own-backup'));
    expect(backup.tables.map((t) => t.name)).toEqual(['events']);
  });

  it('is refused read-only and by backends without it', async () => {
    const path = join(dir, 'ro.duckdb');
    const writer = await StorageEngine.open({ path });
    await writer.close();
    await using reader = await StorageEngine.open({ path, readOnly: true });
    expect(reader.supportsPreparedExportFiles).toBe(false);
    await expect(reader.prepareExportFile(file([]))).rejects.toBeInstanceOf(ReadOnlyError);
    await using sqlite = await StorageEngine.inMemory({ backend: 'sqlite' });
    expect(sqlite.supportsPreparedExportFiles).toBe(false);
    await expect(sqlite.prepareExportFile(file([]))).rejects.toBeInstanceOf(UnsupportedError);
  });
});
