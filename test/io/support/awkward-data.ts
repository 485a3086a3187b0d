import type { EventRecord, ProfileRecord, StorageEngine, TableMetadata } from '../../../src/index.js';
import { events } from '../../support/records.js';

/** The integer the issue names: beyond 2^53, so a double would round it. */
export const BIG = 3928097563762691601n;

/** Events full of awkward cases, then `bulk` ordinary ones. */
export function* awkwardEvents(bulk = 250): Generator<EventRecord> {
  yield {
    event_name: 'Purchase',
    event_time: '2024-06-01T10:00:00.123Z',
    distinct_id: 'user_1',
    insert_id: 'a1',
    properties: {
      amount: 12.5,
      big: BIG,
      negativeBig: -BIG,
      nested: { list: [1, 'two', { three: 3, deep: [BIG] }], empty: {}, emptyList: [] },
      unicode: 'héllo ☃ 🎉 \u2028 "quotes", commas\nnew line\ttab',
      nullValue: null,
      float: 1e21,
      tiny: 1.5e-7,
      mp_processing_time_ms: 1717236000123,
    },
  };
  // No user, no insert id (the engine derives one), NULL properties.
  yield {
    event_name: 'Sign Up ☃',
    event_time: Date.UTC(2024, 5, 1, 11),
    distinct_id: '',
    insert_id: null,
    properties: null,
  };
  // Exactly as fetched from Mixpanel: properties repeat time, distinct_id and $insert_id.
  yield {
    event_name: 'Mixpanel shaped',
    event_time: 1717236000000,
    distinct_id: 'user_2',
    insert_id: 'mx-1',
    properties: {
      time: 1717236000,
      distinct_id: 'user_2',
      $insert_id: 'mx-1',
      $browser: 'Chrome',
      'key.with.dots': 1,
      'key"quote': "it's",
      id: BIG,
    },
  };
  // Properties contradicting the columns: a millisecond time, a numeric distinct_id, another insert id.
  yield {
    event_name: 'Odd "props", here',
    event_time: 1717236000500,
    distinct_id: '42',
    insert_id: 'odd-1',
    properties: { time: 1717236000500, distinct_id: 42, $insert_id: 'different', flag: true, zero: 0 },
  };
  // Two identical events without insert id stay two rows (derived ids -1 and -2).
  yield { event_name: 'Twin', event_time: 1717236001000, distinct_id: 'u', properties: { n: 1 } };
  yield { event_name: 'Twin', event_time: 1717236001000, distinct_id: 'u', properties: { n: 1 } };
  yield* events(bulk);
}

/** Profiles with awkward cases. */
export function awkwardProfiles(): ProfileRecord[] {
  return [
    {
      distinct_id: 'user_1',
      properties: {
        $email: 'a@example.com',
        $last_seen: '2024-06-01T10:00:00',
        big: BIG,
        nested: { a: [1, { b: null }] },
      },
      last_seen: '2024-06-01T10:00:00Z',
    },
    { distinct_id: 'user_2', properties: null, last_seen: null },
    // last_seen with milliseconds and no $last_seen property.
    {
      distinct_id: 'ünïcødé ☃',
      properties: { name: 'Zoë "Z", the 2nd\n' },
      last_seen: '2024-06-02T01:02:03.456Z',
    },
    // A $last_seen property that disagrees with the column.
    {
      distinct_id: '12345678901234567890',
      properties: { $last_seen: 'not a date' },
      last_seen: '2024-06-03T00:00:00Z',
    },
    ...Array.from({ length: 50 }, (_, i) => ({
      distinct_id: `bulk_${i}`,
      properties: { i, plan: ['free', 'pro'][i % 2] },
      last_seen: Date.UTC(2024, 5, 1) + i * 60_000,
    })),
  ];
}

export const EVENTS_META: TableMetadata = {
  type: 'events',
  fetchedAt: new Date('2024-07-01T10:00:00.000Z'),
  fromDate: '2024-06-01',
  toDate: '2024-06-30',
  filters: { events: ['Purchase'], where: 'properties["x"] == 1', cohort: BIG },
  source: 'https://data.mixpanel.com/api/2.0',
};

export const PROFILES_META: TableMetadata = {
  type: 'profiles',
  fetchedAt: new Date('2024-07-02T00:00:00.000Z'),
  filters: null,
  source: 'https://mixpanel.com/api/2.0/engage',
};

/** Creates a hand-made table `misc` with every portable type, NULLs, unicode and a big integer. */
export async function createMiscTable(storage: StorageEngine, name = 'misc'): Promise<void> {
  const d = storage.dialect;
  const q = (n: string) => d.quoteIdentifier(n);
  await storage.execute(
    `CREATE TABLE ${q(name)} (${q('id')} ${d.typeName('int64')}, ${q('label "quoted"')} ${d.typeName('string')}, ` +
      `${q('amount')} ${d.typeName('float64')}, ${q('flag')} ${d.typeName('boolean')}, ${q('at')} ${d.typeName('timestamp')}, ` +
      `${q('day')} ${d.typeName('date')}, ${q('doc')} ${d.typeName('json')})`,
  );
  const p = (i: number) => d.placeholder(i);
  const insert = `INSERT INTO ${q(name)} VALUES (${[1, 2, 3, 4, 5, 6, 7].map(p).join(', ')})`;
  const rows: unknown[][] = [
    [
      BIG,
      'ünïcødé ☃, "q"\nline',
      1.25,
      true,
      new Date('2024-06-01T10:00:00.123Z'),
      '2024-06-01',
      '{"b":[1,2],"a":{"x":null}}',
    ],
    [1, '', -0.5, false, new Date('1999-12-31T23:59:59.000Z'), '1999-12-31', '[]'],
    [null, null, null, null, null, null, null],
    [-BIG, 'plain', 2.5e-7, true, new Date(0), '1970-01-01', '{"big":3928097563762691601,"f":1e+21}'],
  ];
  for (const row of rows) await storage.execute(insert, row);
}

/** Every row of a table in a stable order, for exact comparison. */
export async function allRows(storage: StorageEngine, name: string, orderBy: string[]): Promise<unknown[][]> {
  const q = (n: string) => storage.dialect.quoteIdentifier(n);
  const order = orderBy.map((c) => `${q(c)} ${'ASC'}`).join(', ');
  return (await storage.executeRows(`SELECT * FROM ${q(name)} ORDER BY ${order}`)).rows;
}
