import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EventRecord,
  InvalidArgumentError,
  type ProfileRecord,
  type StorageEngine,
  TableNotFoundError,
} from '../../src/index.js';
import {
  columnStats,
  drop,
  dropAll,
  eventBreakdown,
  info,
  propertyKeys,
  sample,
  summarize,
  tableSchema,
  tables,
} from '../../src/workspace/introspection/index.js';
import { backendHarnesses } from '../support/backends.js';

const harnesses = await backendHarnesses();

const HOSTILE_KEY = "a'); DROP TABLE events; --";

/**
 * Six events, three names, three users plus one anonymous event. Properties hold case twins
 * (utm_source / UTM_Source), `$` twins ($os / os), a nested object, an array, a 19-digit id, a JSON
 * null, a key with mixed value types (amount: numbers and a string) and a hostile key.
 */
const EVENTS: EventRecord[] = [
  {
    event_name: 'Sign Up',
    event_time: '2024-06-01T10:00:00Z',
    distinct_id: 'u1',
    insert_id: 'ins-1',
    properties: {
      utm_source: 'google',
      UTM_Source: 'Google',
      $os: 'iOS',
      os: 'ios',
      plan: { tier: 'pro', seats: 3 },
      amount: 10,
      id: 1234567890123456789n,
      flag: true,
      note: null,
    },
  },
  {
    event_name: 'Sign Up',
    event_time: '2024-06-02T11:30:00.250Z',
    distinct_id: 'u2',
    insert_id: 'ins-2',
    properties: { utm_source: 'google', $os: 'Android', amount: 20.5, flag: false, tags: ['a', 'b'] },
  },
  {
    event_name: 'Page View',
    event_time: '2024-06-01T09:00:00Z',
    distinct_id: 'u1',
    insert_id: 'ins-3',
    properties: { utm_source: 'bing', $os: 'iOS', page: '/home' },
  },
  {
    event_name: 'Page View',
    event_time: '2024-06-03T12:00:00Z',
    distinct_id: 'u3',
    insert_id: 'ins-4',
    properties: { $os: 'iOS', page: '/pricing', amount: '10' },
  },
  {
    event_name: 'Page View',
    event_time: '2024-06-03T12:00:01Z',
    distinct_id: '',
    insert_id: 'ins-5',
    properties: { page: '/home' },
  },
  {
    event_name: 'Purchase',
    event_time: '2024-06-04T00:00:00Z',
    distinct_id: 'u2',
    insert_id: 'ins-6',
    properties: { amount: 99, [HOSTILE_KEY]: 'x' },
  },
];

const PROFILES: ProfileRecord[] = [
  {
    distinct_id: 'u1',
    properties: { $email: 'u1@example.com', plan: 'pro' },
    last_seen: '2024-06-02T00:00:00Z',
  },
  { distinct_id: 'u2', properties: { $email: 'u2@example.com' }, last_seen: '2024-06-04T00:00:00Z' },
];

/** A table made by hand with SQL (no metadata): numbers, a boolean and case-twin text. */
async function createMetrics(s: StorageEngine): Promise<void> {
  const d = s.dialect;
  await s.execute(
    `CREATE TABLE metrics (id ${d.typeName('int64')}, score ${d.typeName('float64')}, ` +
      `flag ${d.typeName('boolean')}, label ${d.typeName('string')})`,
  );
  await s.execute(
    `INSERT INTO metrics VALUES (1, 1.5, TRUE, 'b'), (2, 2.5, FALSE, 'B'), (3, NULL, NULL, 'a'), (NULL, 5, TRUE, NULL)`,
  );
}

async function load(s: StorageEngine): Promise<void> {
  await s.createEventsTable('events', EVENTS, { type: 'events' });
  await s.createProfilesTable('people', PROFILES, { type: 'profiles' });
  await createMetrics(s);
}

describe.each(harnesses)('introspection on $name', (h) => {
  const suite = h.skipReason ? describe.skip : describe;

  suite(`(${h.skipReason ?? 'running'})`, () => {
    let s: StorageEngine;
    beforeAll(async () => {
      s = (await h.openFresh()).engine;
      await load(s);
    });
    afterAll(async () => {
      await s?.close();
    });

    it('info counts tables and rows', async () => {
      const result = await info(s);
      expect(result).toMatchObject({ backend: h.name, readOnly: false, tables: 3, totalRows: 12 });
      expect(result.path).toBe(s.path);
      expect(result.databaseBytes === null || result.databaseBytes > 0).toBe(true);
    });

    it('tables and tableSchema delegate to the engine', async () => {
      const listed = await tables(s);
      expect(listed.map((t) => [t.name, t.type, t.rowCount]).sort()).toEqual([
        ['events', 'events', 6],
        ['metrics', 'other', 4],
        ['people', 'profiles', 2],
      ]);
      expect((await tableSchema(s, 'events')).map((c) => c.name)).toEqual([
        'event_name',
        'event_time',
        'distinct_id',
        'insert_id',
        'properties',
      ]);
      await expect(tableSchema(s, 'missing')).rejects.toBeInstanceOf(TableNotFoundError);
    });

    it('samples at most n distinct rows, n bound as a parameter', async () => {
      const four = await sample(s, 'events', { n: 4 });
      expect(four).toHaveLength(4);
      const ids = four.map((row) => row.insert_id);
      expect(new Set(ids).size).toBe(4);
      for (const id of ids) expect(['ins-1', 'ins-2', 'ins-3', 'ins-4', 'ins-5', 'ins-6']).toContain(id);
      expect(await sample(s, 'events', { n: 100 })).toHaveLength(6);
      expect(await sample(s, 'events')).toHaveLength(6);
      expect(await sample(s, 'metrics', { n: 0 })).toEqual([]);
      await expect(sample(s, 'events', { n: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(sample(s, 'events', { n: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(sample(s, 'missing')).rejects.toBeInstanceOf(TableNotFoundError);
    });

    it('summarizes an events table column by column', async () => {
      const schema = await tableSchema(s, 'events');
      const type = (name: string) => schema.find((c) => c.name === name)?.type;
      expect(await summarize(s, 'events')).toEqual([
        {
          name: 'event_name',
          type: type('event_name'),
          count: 6,
          nulls: 0,
          distinct: 3,
          min: 'Page View',
          max: 'Sign Up',
          avg: null,
        },
        {
          name: 'event_time',
          type: type('event_time'),
          count: 6,
          nulls: 0,
          distinct: 6,
          min: '2024-06-01T09:00:00.000Z',
          max: '2024-06-04T00:00:00.000Z',
          avg: null,
        },
        {
          name: 'distinct_id',
          type: type('distinct_id'),
          count: 6,
          nulls: 0,
          distinct: 4,
          min: '',
          max: 'u3',
          avg: null,
        },
        {
          name: 'insert_id',
          type: type('insert_id'),
          count: 6,
          nulls: 0,
          distinct: 6,
          min: 'ins-1',
          max: 'ins-6',
          avg: null,
        },
        {
          name: 'properties',
          type: type('properties'),
          count: 6,
          nulls: 0,
          distinct: 6,
          min: null,
          max: null,
          avg: null,
        },
      ]);
    });

    it('summarizes numbers (avg), booleans and text by code point, with nulls', async () => {
      const summary = await summarize(s, 'metrics');
      expect(summary.map(({ type: _type, ...rest }) => rest)).toEqual([
        { name: 'id', count: 3, nulls: 1, distinct: 3, min: '1', max: '3', avg: 2 },
        { name: 'score', count: 3, nulls: 1, distinct: 3, min: '1.5', max: '5', avg: 3 },
        { name: 'flag', count: 3, nulls: 1, distinct: 2, min: 'false', max: 'true', avg: null },
        // Code-point order: 'B' < 'a' < 'b' on every engine, whatever the database collation.
        { name: 'label', count: 3, nulls: 1, distinct: 3, min: 'B', max: 'b', avg: null },
      ]);
      await expect(summarize(s, 'missing')).rejects.toBeInstanceOf(TableNotFoundError);
    });

    it('breaks events down by name with exact users, first and last seen and share', async () => {
      expect(await eventBreakdown(s, 'events')).toEqual([
        {
          event: 'Page View',
          count: 3,
          users: 2, // u1 and u3; the anonymous '' event is not a user
          firstSeen: new Date('2024-06-01T09:00:00Z'),
          lastSeen: new Date('2024-06-03T12:00:01Z'),
          share: 3 / 6,
        },
        {
          event: 'Sign Up',
          count: 2,
          users: 2,
          firstSeen: new Date('2024-06-01T10:00:00Z'),
          lastSeen: new Date('2024-06-02T11:30:00.250Z'),
          share: 2 / 6,
        },
        {
          event: 'Purchase',
          count: 1,
          users: 1,
          firstSeen: new Date('2024-06-04T00:00:00Z'),
          lastSeen: new Date('2024-06-04T00:00:00Z'),
          share: 1 / 6,
        },
      ]);
    });

    it('refuses a breakdown of anything but an events table', async () => {
      await expect(eventBreakdown(s, 'missing')).rejects.toBeInstanceOf(TableNotFoundError);
      const profiles = await eventBreakdown(s, 'people').catch((e: unknown) => e);
      expect(profiles).toBeInstanceOf(InvalidArgumentError);
      expect((profiles as Error).message).toMatch(/needs an events table, but 'people' is a profiles table/);
      await expect(eventBreakdown(s, 'metrics')).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('lists every property key with exact counts and JSON types; twins stay distinct', async () => {
      expect(await propertyKeys(s, 'events')).toEqual([
        { key: '$os', count: 4, types: ['string'] },
        { key: 'amount', count: 4, types: ['number', 'string'] },
        { key: 'page', count: 3, types: ['string'] },
        { key: 'utm_source', count: 3, types: ['string'] },
        { key: 'flag', count: 2, types: ['boolean'] },
        { key: 'UTM_Source', count: 1, types: ['string'] },
        { key: HOSTILE_KEY, count: 1, types: ['string'] },
        { key: 'id', count: 1, types: ['number'] },
        { key: 'note', count: 1, types: ['null'] },
        { key: 'os', count: 1, types: ['string'] },
        { key: 'plan', count: 1, types: ['object'] },
        { key: 'tags', count: 1, types: ['array'] },
      ]);
    });

    it('filters property keys by event (bound), and works on profiles', async () => {
      expect(await propertyKeys(s, 'events', { event: 'Page View' })).toEqual([
        { key: 'page', count: 3, types: ['string'] },
        { key: '$os', count: 2, types: ['string'] },
        { key: 'amount', count: 1, types: ['string'] },
        { key: 'utm_source', count: 1, types: ['string'] },
      ]);
      expect(await propertyKeys(s, 'events', { event: "Page View' OR '1'='1" })).toEqual([]);
      expect(await propertyKeys(s, 'people')).toEqual([
        { key: '$email', count: 2, types: ['string'] },
        { key: 'plan', count: 1, types: ['string'] },
      ]);
      await expect(propertyKeys(s, 'people', { event: 'x' })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(propertyKeys(s, 'metrics')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(propertyKeys(s, 'missing')).rejects.toBeInstanceOf(TableNotFoundError);
    });

    it('columnStats on columns: counts and top values, ties in a fixed order', async () => {
      expect(await columnStats(s, 'events', 'event_name')).toEqual({
        table: 'events',
        target: { kind: 'column', column: 'event_name', type: expect.any(String) },
        count: 6,
        nulls: 0,
        distinct: 3,
        top: [
          { value: 'Page View', count: 3 },
          { value: 'Sign Up', count: 2 },
          { value: 'Purchase', count: 1 },
        ],
      });
      const users = await columnStats(s, 'events', 'distinct_id', { top: 3 });
      expect(users.top).toEqual([
        { value: 'u1', count: 2 },
        { value: 'u2', count: 2 },
        { value: '', count: 1 },
      ]);
      expect((await columnStats(s, 'events', 'event_time', { top: 2 })).top).toEqual([
        { value: '2024-06-01T09:00:00.000Z', count: 1 },
        { value: '2024-06-01T10:00:00.000Z', count: 1 },
      ]);
      const score = await columnStats(s, 'metrics', 'score');
      expect(score).toMatchObject({ count: 3, nulls: 1, distinct: 3 });
      expect(score.top).toEqual([
        { value: '1.5', count: 1 },
        { value: '2.5', count: 1 },
        { value: '5', count: 1 },
      ]);
      expect((await columnStats(s, 'metrics', 'flag')).top).toEqual([
        { value: 'true', count: 2 },
        { value: 'false', count: 1 },
      ]);
      expect((await columnStats(s, 'metrics', 'label')).top.map((t) => t.value)).toEqual(['B', 'a', 'b']);
    });

    it('columnStats on properties: literal keys, case and $ twins, numbers as digits', async () => {
      expect(await columnStats(s, 'events', 'properties.utm_source')).toEqual({
        table: 'events',
        target: { kind: 'property', key: 'utm_source' },
        count: 3,
        nulls: 3,
        distinct: 2,
        top: [
          { value: 'google', count: 2 },
          { value: 'bing', count: 1 },
        ],
      });
      expect((await columnStats(s, 'events', 'properties.UTM_Source')).top).toEqual([
        { value: 'Google', count: 1 },
      ]);
      const dollar = await columnStats(s, 'events', '$.$os');
      expect(dollar).toMatchObject({
        target: { kind: 'property', key: '$os' },
        count: 4,
        nulls: 2,
        distinct: 2,
      });
      expect(dollar.top).toEqual([
        { value: 'iOS', count: 3 },
        { value: 'Android', count: 1 },
      ]);
      expect((await columnStats(s, 'events', 'properties.os')).top).toEqual([{ value: 'ios', count: 1 }]);
      // The number 10 and the string "10" read alike as text.
      expect(await columnStats(s, 'events', 'properties.amount')).toMatchObject({
        count: 4,
        nulls: 2,
        distinct: 3,
        top: [
          { value: '10', count: 2 },
          { value: '20.5', count: 1 },
          { value: '99', count: 1 },
        ],
      });
      expect((await columnStats(s, 'events', 'properties.id')).top).toEqual([
        { value: '1234567890123456789', count: 1 },
      ]);
      expect((await columnStats(s, 'events', 'properties.flag')).top).toEqual([
        { value: 'false', count: 1 },
        { value: 'true', count: 1 },
      ]);
      // JSON null counts as a null; a missing key too.
      expect(await columnStats(s, 'events', 'properties.note')).toMatchObject({
        count: 0,
        nulls: 6,
        distinct: 0,
        top: [],
      });
      expect(await columnStats(s, 'events', 'properties.nope')).toMatchObject({
        count: 0,
        nulls: 6,
        top: [],
      });
    });

    it('columnStats rejects unknown columns and property paths without a properties column', async () => {
      await expect(columnStats(s, 'events', 'nope')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(columnStats(s, 'events', 'properties')).resolves.toMatchObject({ count: 6 });
      await expect(columnStats(s, 'metrics', 'properties.x')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(columnStats(s, 'events', 'event_name', { top: -2 })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(columnStats(s, 'missing', 'x')).rejects.toBeInstanceOf(TableNotFoundError);
    });

    it('treats a hostile property key and event name as data', async () => {
      const stats = await columnStats(s, 'events', `properties.${HOSTILE_KEY}`);
      expect(stats).toMatchObject({ target: { kind: 'property', key: HOSTILE_KEY }, count: 1, nulls: 5 });
      expect(stats.top).toEqual([{ value: 'x', count: 1 }]);
      expect(await propertyKeys(s, 'events', { event: HOSTILE_KEY })).toEqual([]);
      expect(await s.executeScalar('SELECT count(*) FROM events')).toBe(6);
    });
  });

  suite(`drop (${h.skipReason ?? 'running'})`, () => {
    it('drops one table, then by type, then everything left', async () => {
      await using s = (await h.openFresh()).engine;
      await load(s);
      await s.createEventsTable('events_b', EVENTS.slice(0, 2), { type: 'events' });
      expect(await drop(s, 'events_b')).toEqual(['events_b']);
      await expect(drop(s, 'events_b')).rejects.toBeInstanceOf(TableNotFoundError);
      expect(await dropAll(s, { type: 'profiles' })).toEqual(['people']);
      expect((await tables(s)).map((t) => t.name).sort()).toEqual(['events', 'metrics']);
      expect(await dropAll(s, { type: 'events' })).toEqual(['events']);
      expect(await dropAll(s)).toEqual(['metrics']);
      expect(await tables(s)).toEqual([]);
      expect(await dropAll(s)).toEqual([]);
    });
  });
});
