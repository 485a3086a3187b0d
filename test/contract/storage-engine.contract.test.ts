import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  DatabaseClosedError,
  InvalidArgumentError,
  InvalidRecordError,
  QueryError,
  ReadOnlyError,
  type StorageEngine,
  TableExistsError,
  TableNotFoundError,
} from '../../src/index.js';
import { parseJsonLossless } from '../../src/values/json-text.js';
import { backendHarnesses } from '../support/backends.js';
import { events, failingAfter } from '../support/records.js';

const harnesses = await backendHarnesses();

describe.each(harnesses)('StorageEngine contract on $name', (h) => {
  const suite = h.skipReason ? describe.skip : describe;

  async function fresh(): Promise<StorageEngine> {
    return (await h.openFresh()).engine;
  }

  suite(`(${h.skipReason ?? 'running'})`, () => {
    it('creates an events table from a generator and queries it in every result shape', async () => {
      await using s = await fresh();
      const stored = await s.createEventsTable('purchases', events(300), {
        type: 'events',
        fromDate: '2024-06-01',
        toDate: '2024-06-30',
      });
      expect(stored).toBe(300);
      expect(await s.executeScalar('SELECT count(*) FROM purchases')).toBe(300);
      const objects = await s.executeObjects(
        'SELECT event_name, count(*) AS n FROM purchases GROUP BY event_name ORDER BY event_name',
      );
      expect(objects).toEqual([
        { event_name: 'Page View', n: 100 },
        { event_name: 'Purchase', n: 100 },
        { event_name: 'Sign Up', n: 100 },
      ]);
      // Placeholders follow the backend's own syntax; the dialect spells them.
      const rows = await s.executeRows(
        `SELECT event_name, distinct_id FROM purchases WHERE insert_id = ${s.dialect.placeholder(1)}`,
        ['ins-4'],
      );
      expect(rows.columns.map((c) => c.name)).toEqual(['event_name', 'distinct_id']);
      expect(rows.rows).toEqual([['Purchase', 'user_4']]);
      const arrow = await s.executeArrow(
        'SELECT event_name, count(*) AS n FROM purchases GROUP BY 1 ORDER BY 1',
      );
      expect(arrow.numRows).toBe(3);
      expect(arrow.getChild('event_name')?.toArray()).toEqual(['Page View', 'Purchase', 'Sign Up']);
      expect(Number(arrow.getChild('n')?.get(0))).toBe(100);
      const when = await s.executeScalar("SELECT event_time FROM purchases WHERE insert_id = 'ins-61'");
      expect(when).toEqual(new Date(Date.UTC(2024, 5, 1) + 61_000));
    });

    it('extracts JSON properties with ->> (the portable spelling)', async () => {
      await using s = await fresh();
      await s.createEventsTable('pageviews', events(100), { type: 'events' });
      const top = await s.executeObjects(
        "SELECT properties->>'page' AS page, count(*) AS views FROM pageviews GROUP BY 1 ORDER BY views DESC, page LIMIT 3",
      );
      expect(top).toEqual([
        { page: '/page0', views: 10 },
        { page: '/page1', views: 10 },
        { page: '/page2', views: 10 },
      ]);
    });

    it('introspects tables, schema and metadata', async () => {
      await using s = await fresh();
      const fetchedAt = new Date('2024-07-01T10:00:00Z');
      await s.createEventsTable('events', events(10), {
        type: 'events',
        fetchedAt,
        fromDate: '2024-06-01',
        toDate: '2024-06-02',
        filters: { events: ['Purchase'], where: 'properties["amount"] > 1', big: 3928097563762691601n },
      });
      await s.createProfilesTable('people', [{ distinct_id: 'u1', properties: { plan: 'team' } }], {
        type: 'profiles',
      });
      const tables = await s.listTables();
      expect(tables.map((t) => [t.name, t.type, t.rowCount])).toEqual([
        ['events', 'events', 10],
        ['people', 'profiles', 1],
      ]);
      expect(tables[0]?.fetchedAt).toEqual(fetchedAt);
      const schema = await s.getSchema('events');
      expect(schema.columns.map((c) => c.name)).toEqual([
        'event_name',
        'event_time',
        'distinct_id',
        'insert_id',
        'properties',
      ]);
      const profileSchema = await s.getSchema('people');
      expect(profileSchema.columns.find((c) => c.name === 'distinct_id')?.primaryKey).toBe(true);
      const meta = await s.getMetadata('events');
      expect(meta).toMatchObject({
        type: 'events',
        fromDate: '2024-06-01',
        toDate: '2024-06-02',
        rowCount: 10,
      });
      expect(meta.filters).toEqual({
        events: ['Purchase'],
        where: 'properties["amount"] > 1',
        big: 3928097563762691601n,
      });
      expect(meta.packageVersion).toMatch(/^\d+\.\d+\.\d+/);
      expect(await s.tableExists('events')).toBe(true);
      expect(await s.tableExists('nope')).toBe(false);
    });

    it('raises typed errors that name the table once', async () => {
      await using s = await fresh();
      await s.createEventsTable('events', events(5), { type: 'events' });
      const exists = await s
        .createEventsTable('events', events(5), { type: 'events' })
        .catch((e: unknown) => e);
      expect(exists).toBeInstanceOf(TableExistsError);
      expect((exists as TableExistsError).tableName).toBe('events');
      const missing = await s.getSchema('missing_table').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(TableNotFoundError);
      expect((missing as Error).message).toBe("Table 'missing_table' does not exist.");
      expect((missing as TableNotFoundError).code).toBe('TABLE_NOT_FOUND');
      const bad = await s.executeObjects('SELECT * FROM nonexistent').catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(QueryError);
      expect((bad as QueryError).details.query).toBe('SELECT * FROM nonexistent');
      expect((bad as QueryError).toJSON()).toMatchObject({ code: 'QUERY_FAILED', name: 'QueryError' });
      await expect(s.dropTable('missing_table')).rejects.toBeInstanceOf(TableNotFoundError);
      await expect(s.appendEventsTable('missing_table', events(1))).rejects.toBeInstanceOf(
        TableNotFoundError,
      );
    });

    it('refuses invalid table names before touching SQL', async () => {
      await using s = await fresh();
      for (const name of ['1abc', 'a-b', 'x; DROP TABLE y', '_metadata', '', 'a'.repeat(64), 'événements']) {
        await expect(s.createEventsTable(name, events(1), { type: 'events' })).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
      }
      expect(await s.listTables()).toEqual([]);
    });

    it('replaces a table atomically, keeping the old one if the new data fails', async () => {
      await using s = await fresh();
      await s.createEventsTable('events', events(10), { type: 'events', fromDate: '2024-06-01' });
      expect(
        await s.createEventsTable(
          'events',
          events(20),
          { type: 'events', fromDate: '2024-06-05' },
          { replace: true },
        ),
      ).toBe(20);
      expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(20);
      expect((await s.getMetadata('events')).fromDate).toBe('2024-06-05');
      await expect(
        s.createEventsTable(
          'events',
          failingAfter(15),
          { type: 'events', fromDate: '2024-07-01' },
          { replace: true, batchSize: 4 },
        ),
      ).rejects.toThrow('source failed mid-stream');
      expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(20);
      expect((await s.getMetadata('events')).fromDate).toBe('2024-06-05');
      expect((await s.listTables()).map((t) => t.name)).toEqual(['events']);
    });

    it('leaves nothing behind when a create fails halfway (source error, bad record, abort)', async () => {
      await using s = await fresh();
      await expect(
        s.createEventsTable('events', failingAfter(2500), { type: 'events' }, { batchSize: 1000 }),
      ).rejects.toThrow('source failed mid-stream');
      const bad = [...events(3), { event_name: 'X', event_time: 'not a time', distinct_id: 'u' }];
      const error = await s.createEventsTable('events', bad, { type: 'events' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRecordError);
      expect((error as InvalidRecordError).position).toBe(4);
      expect((error as InvalidRecordError).field).toBe('event_time');
      expect((error as Error).message).toContain("Record #4: field 'event_time'");
      const controller = new AbortController();
      const aborted = s.createEventsTable(
        'events',
        events(50_000),
        { type: 'events' },
        {
          batchSize: 1000,
          signal: controller.signal,
          onProgress: (n) => {
            if (n >= 3000) controller.abort();
          },
        },
      );
      await expect(aborted).rejects.toBeInstanceOf(AbortedError);
      expect(await s.tableExists('events')).toBe(false);
      expect(await s.listTables()).toEqual([]);
      const internal = await s
        .executeScalar("SELECT count(*) FROM _metadata WHERE table_name = 'events'")
        .catch(() => 0);
      expect(internal).toBe(0);
    });

    it('an append that fails leaves the table and its metadata unchanged', async () => {
      await using s = await fresh();
      await s.createEventsTable('events', events(100), { type: 'events' });
      await expect(s.appendEventsTable('events', failingAfter(150), { batchSize: 10 })).rejects.toThrow(
        'source failed',
      );
      expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(100);
      expect((await s.getMetadata('events')).rowCount).toBe(100);
    });

    it("dedups on Mixpanel's four-part key, keeping the most recently processed copy", async () => {
      await using s = await fresh();
      const base = {
        event_name: 'Purchase',
        event_time: '2024-06-01T10:00:00Z',
        distinct_id: 'u1',
        insert_id: 'a',
      };
      const stored = await s.createEventsTable(
        'events',
        [
          { ...base, properties: { city: 'Lyon', mp_processing_time_ms: 2 } },
          { ...base, properties: { city: 'Paris', mp_processing_time_ms: 5 } },
          { ...base, properties: { city: 'Nice', mp_processing_time_ms: 3 } },
          { ...base, distinct_id: 'u2', properties: { city: 'Other user' } },
          { ...base, event_time: '2024-06-01T10:00:01Z', properties: { city: 'Other time' } },
          { ...base, event_name: 'Refund', properties: { city: 'Other name' } },
        ],
        { type: 'events' },
      );
      expect(stored).toBe(4);
      expect(
        await s.executeScalar(
          "SELECT properties->>'city' FROM events WHERE distinct_id = 'u1' AND event_name = 'Purchase' AND insert_id = 'a' AND event_time = (SELECT min(event_time) FROM events)",
        ),
      ).toBe('Paris');
      const again = await s.appendEventsTable('events', events(10));
      expect(again).toEqual({ inserted: 10, updated: 0, duplicates: 0, replaced: 0 });
      const twice = await s.appendEventsTable('events', [...events(10), ...events(5, 10)]);
      expect(twice).toEqual({ inserted: 5, updated: 0, duplicates: 10, replaced: 0 });
      expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(19);
      expect((await s.getMetadata('events')).rowCount).toBe(19);
    });

    it('picks the same winner in every duplicate group on every backend (ties, missing and odd processing times), also when replacing', async () => {
      await using s = await fresh();
      const at = (insertId: string, city: string, proc?: unknown) => ({
        event_name: 'Purchase',
        event_time: '2024-06-01T10:00:00Z',
        distinct_id: 'u1',
        insert_id: insertId,
        properties: proc === undefined ? { city } : { city, mp_processing_time_ms: proc },
      });
      const source = [
        at('tie', 'first', 7),
        at('tie', 'second', 7), // same processing time: the later record wins
        at('frac', 'truncated', 2.9),
        at('frac', 'later', 2), // 2.9 counts as 2: a tie, the later record wins
        at('none', 'with time', 1),
        at('none', 'without', undefined), // a missing time loses to any time
        at('text', 'numeric', 1),
        at('text', 'string', '99'), // a string is not a processing time
        at('big', 'bigint', 9007199254740993n),
        at('big', 'number', 9007199254740990),
      ];
      const winners = async () =>
        (await s.executeRows("SELECT insert_id, properties->>'city' FROM events ORDER BY insert_id")).rows;
      const expected = [
        ['big', 'bigint'],
        ['frac', 'later'],
        ['none', 'with time'],
        ['text', 'numeric'],
        ['tie', 'second'],
      ];
      expect(await s.createEventsTable('events', source, { type: 'events' })).toBe(5);
      expect(await winners()).toEqual(expected);
      expect(
        await s.createEventsTable('events', [...source].reverse(), { type: 'events' }, { replace: true }),
      ).toBe(5);
      expect(await winners()).toEqual([
        ['big', 'bigint'],
        ['frac', 'truncated'],
        ['none', 'with time'],
        ['text', 'numeric'],
        ['tie', 'first'],
      ]);
      expect((await s.getMetadata('events')).rowCount).toBe(5);
    });

    it('derives stable insert ids so the same data is stored once, but identical events in one source stay two', async () => {
      await using s = await fresh();
      const noIds = [
        { event_name: 'Tap', event_time: 1717236000000, distinct_id: 'u1', properties: { x: 1 } },
        { event_name: 'Tap', event_time: 1717236000000, distinct_id: 'u1', properties: { x: 1 } },
        { event_name: 'Tap', event_time: 1717236000000, distinct_id: '', properties: { x: 2 } },
      ];
      expect(await s.createEventsTable('events', noIds, { type: 'events' })).toBe(3);
      expect(await s.appendEventsTable('events', noIds)).toEqual({
        inserted: 0,
        updated: 0,
        duplicates: 3,
        replaced: 0,
      });
      const ids = await s.executeObjects('SELECT DISTINCT insert_id FROM events');
      expect(ids).toHaveLength(3);
      expect(await s.executeScalar("SELECT count(*) FROM events WHERE distinct_id = ''")).toBe(1);
    });

    it('keeps big integers, unicode and nested properties exactly', async () => {
      await using s = await fresh();
      const properties = {
        account_id: 3928097563762691601n,
        max_u64: 18446744073709551615n,
        text: 'quote " backslash \\ tab \t newline \n emoji 😀 sep \u2028 \u2029 é',
        nested: { level2: { level3: [1, 2.5, null, { deep: true }] } },
        list: [{ a: 1 }, { b: 'x' }],
        nothing: null,
        utm_source: 'news',
        UTM_Source: 'News',
      };
      await s.createEventsTable(
        'events',
        [
          {
            event_name: 'Événement 😀',
            event_time: '2024-06-01T00:00:00.123Z',
            distinct_id: 'ü-1',
            insert_id: 'i1',
            properties,
          },
        ],
        { type: 'events' },
      );
      const row = (await s.executeObjects('SELECT * FROM events'))[0]!;
      expect(row.event_name).toBe('Événement 😀');
      expect(row.distinct_id).toBe('ü-1');
      expect(row.event_time).toEqual(new Date('2024-06-01T00:00:00.123Z'));
      expect(parseJsonLossless(row.properties as string)).toEqual(properties);
      // ->> gives text on DuckDB and PostgreSQL, the JSON value's SQL type on SQLite: compare as text.
      expect(String(await s.executeScalar("SELECT properties->>'account_id' FROM events"))).toBe(
        '3928097563762691601',
      );
    });

    it('returns 64-bit integers as numbers when safe and bigints when not', async () => {
      await using s = await fresh();
      expect(await s.executeScalar('SELECT CAST(9007199254740991 AS BIGINT)')).toBe(9007199254740991);
      expect(await s.executeScalar('SELECT CAST(9223372036854775807 AS BIGINT)')).toBe(9223372036854775807n);
    });

    it('accepts Date, ISO string and epoch milliseconds for event_time', async () => {
      await using s = await fresh();
      const t = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
      await s.createEventsTable(
        'events',
        [
          { event_name: 'a', event_time: new Date(t), distinct_id: 'u', insert_id: '1' },
          { event_name: 'a', event_time: new Date(t).toISOString(), distinct_id: 'u', insert_id: '2' },
          { event_name: 'a', event_time: t, distinct_id: 'u', insert_id: '3' },
          { event_name: 'a', event_time: '2024-01-02 03:04:05.006', distinct_id: 'u', insert_id: '4' },
        ],
        { type: 'events' },
      );
      const times = await s.executeObjects('SELECT DISTINCT event_time FROM events');
      expect(times).toEqual([{ event_time: new Date(t) }]);
    });

    it('upserts profiles: the newer profile wins', async () => {
      await using s = await fresh();
      await s.createProfilesTable(
        'people',
        [
          { distinct_id: 'a', last_seen: '2024-01-01T00:00:00Z', properties: { v: 'one' } },
          { distinct_id: 'a', last_seen: '2024-02-01T00:00:00Z', properties: { v: 'two' } },
          { distinct_id: 'b', last_seen: '2024-02-01T00:00:00Z', properties: { v: 'three' } },
        ],
        { type: 'profiles' },
      );
      const result = await s.appendProfilesTable('people', [
        { distinct_id: 'a', last_seen: '2024-01-15T00:00:00Z', properties: { v: 'older' } },
        { distinct_id: 'b', last_seen: '2024-03-01T00:00:00Z', properties: { v: 'newer' } },
        { distinct_id: 'c', properties: { v: 'new' } },
      ]);
      expect(result).toEqual({ inserted: 1, updated: 1, duplicates: 1, replaced: 0 });
      const rows = await s.executeObjects(
        "SELECT distinct_id, properties->>'v' AS v FROM people ORDER BY distinct_id",
      );
      expect(rows).toEqual([
        { distinct_id: 'a', v: 'two' },
        { distinct_id: 'b', v: 'newer' },
        { distinct_id: 'c', v: 'new' },
      ]);
      expect((await s.getMetadata('people')).rowCount).toBe(3);
    });

    it('streams large results in bounded batches and reports progress', async () => {
      await using s = await fresh();
      const progress: number[] = [];
      await s.createEventsTable(
        'events',
        events(25_000),
        { type: 'events' },
        { batchSize: 5000, onProgress: (n) => progress.push(n) },
      );
      expect(progress).toEqual([5000, 10000, 15000, 20000, 25000, 25000]);
      let total = 0;
      let largest = 0;
      for await (const batch of s.stream('SELECT insert_id FROM events', [], { batchRows: 4000 })) {
        total += batch.length;
        largest = Math.max(largest, batch.length);
      }
      expect(total).toBe(25_000);
      expect(largest).toBeLessThanOrEqual(4000 + 2048);
      for await (const batch of s.stream('SELECT * FROM events', [], { batchRows: 100 })) {
        expect(batch.length).toBeGreaterThan(0);
        break;
      }
      expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(25_000);
    });

    it('replaces a time range atomically on append (a re-fetched day replaces its old copy)', async () => {
      await using s = await fresh();
      // 300 events one second apart from 2024-06-01T00:00:00Z.
      await s.createEventsTable('events', events(300), {
        type: 'events',
        fromDate: '2024-06-01',
        toDate: '2024-06-01',
      });
      const from = new Date(Date.UTC(2024, 5, 1, 0, 1, 40)); // event 100
      const to = new Date(Date.UTC(2024, 5, 1, 0, 3, 20)); // event 200 (exclusive)
      const refetched = [...events(50, 100)]; // the range now holds only half of its old events
      const result = await s.appendEventsTable('events', refetched, {
        replaceRange: { from, to },
        toDate: '2024-06-02',
      });
      expect(result).toEqual({ inserted: 50, updated: 0, duplicates: 0, replaced: 100 });
      expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(250);
      const meta = await s.getMetadata('events');
      expect([meta.rowCount, meta.fromDate, meta.toDate]).toEqual([250, '2024-06-01', '2024-06-02']);
      await expect(
        s.appendEventsTable('events', failingAfter(10), {
          replaceRange: { from: new Date(0), to: new Date(Date.UTC(2030, 0)) },
        }),
      ).rejects.toThrow('source failed');
      expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(250);
    });

    it('renames a table with its metadata, replacing the target only when asked', async () => {
      await using s = await fresh();
      await s.createEventsTable('fresh', events(7), { type: 'events', fromDate: '2024-06-09' });
      await s.createEventsTable('events', events(3), { type: 'events' });
      await expect(s.renameTable('fresh', 'events')).rejects.toBeInstanceOf(TableExistsError);
      await s.renameTable('fresh', 'events', { replace: true });
      expect((await s.listTables()).map((t) => [t.name, t.rowCount, t.fromDate])).toEqual([
        ['events', 7, '2024-06-09'],
      ]);
      await expect(s.renameTable('missing', 'other')).rejects.toBeInstanceOf(TableNotFoundError);
    });

    it('drops a table together with its metadata', async () => {
      await using s = await fresh();
      await s.createEventsTable('events', events(3), { type: 'events' });
      await s.dropTable('events');
      expect(await s.listTables()).toEqual([]);
      await expect(s.getMetadata('events')).rejects.toBeInstanceOf(TableNotFoundError);
    });

    it('opens read-only for queries and refuses writes', async () => {
      const { engine, reopen } = await h.openFresh();
      await engine.createEventsTable('events', events(7), { type: 'events' });
      await engine.close();
      await using reader = await reopen({ readOnly: true });
      expect(reader.readOnly).toBe(true);
      expect(await reader.executeScalar('SELECT count(*) FROM events')).toBe(7);
      await expect(reader.createEventsTable('more', events(1), { type: 'events' })).rejects.toBeInstanceOf(
        ReadOnlyError,
      );
      await expect(reader.dropTable('events')).rejects.toBeInstanceOf(ReadOnlyError);
    });

    it('closes idempotently and refuses use after close', async () => {
      const s = await fresh();
      await s.close();
      await s.close();
      await expect(s.executeScalar('SELECT 1')).rejects.toBeInstanceOf(DatabaseClosedError);
    });

    it('serialises concurrent writes on one engine', async () => {
      await using s = await fresh();
      const [a, b] = await Promise.all([
        s.createEventsTable('a', events(2000), { type: 'events' }, { batchSize: 500 }),
        s.createEventsTable('b', events(3000), { type: 'events' }, { batchSize: 500 }),
      ]);
      expect([a, b]).toEqual([2000, 3000]);
      expect((await s.listTables()).map((t) => t.rowCount)).toEqual([2000, 3000]);
    });
  });
});
