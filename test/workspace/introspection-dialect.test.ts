import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageEngine } from '../../src/index.js';
import { columnStats, propertyKeys, sample, summarize } from '../../src/workspace/introspection/index.js';
import { backendHarnesses } from '../support/backends.js';

const harnesses = await backendHarnesses();

/** Keys a JSONPath or JSON Pointer reading would mangle: each must be matched literally. */
const AWKWARD_KEYS = ['$os', 'os', 'a.b', 's/l', 't~0', '', 'q"k', "o'k", '$.x', '/x', '🙂', 'ü', '\uff01'];

describe.each(harnesses)('introspection SQL of the $name dialect', (h) => {
  const suite = h.skipReason ? describe.skip : describe;

  suite(`(${h.skipReason ?? 'running'})`, () => {
    let s: StorageEngine;
    beforeAll(async () => {
      s = (await h.openFresh()).engine;
      const properties = Object.fromEntries(AWKWARD_KEYS.map((key, i) => [key, `v${i}`]));
      await s.createEventsTable(
        'events',
        [{ event_name: 'E', event_time: '2024-01-01T00:00:00Z', distinct_id: 'u', properties }],
        { type: 'events' },
      );
    });
    afterAll(async () => {
      await s?.close();
    });

    it('jsonMemberText matches every awkward key literally (bound, never a path)', async () => {
      const d = s.dialect;
      for (const [i, key] of AWKWARD_KEYS.entries()) {
        const value = await s.executeScalar(
          `SELECT ${d.jsonMemberText(d.quoteIdentifier('properties'), d.placeholder(1))} FROM events`,
          [key],
        );
        expect([key, value]).toEqual([key, `v${i}`]);
      }
    });

    it('jsonMemberText renders every JSON type as the same text, and is NULL off objects', async () => {
      const d = s.dialect;
      // Documents go through a JSON column (SQLite's CAST(... AS JSON) would apply NUMERIC affinity);
      // the dialect may write `column` more than once, so it is a column reference, not a placeholder.
      await s.execute(`CREATE TABLE docs (id ${d.typeName('int64')}, doc ${d.typeName('json')})`);
      let id = 0;
      const doc = async (json: string, key: string) => {
        id += 1;
        await s.execute(`INSERT INTO docs VALUES (${d.placeholder(1)}, ${d.placeholder(2)})`, [id, json]);
        return s.executeScalar(
          `SELECT ${d.jsonMemberText('doc', d.placeholder(1))} FROM docs WHERE id = ${d.placeholder(2)}`,
          [key, id],
        );
      };
      const json = '{"s":"x","i":42,"f":1.5,"t":true,"n":null,"big":1234567890123456789,"arr":[1,2]}';
      expect(await doc(json, 's')).toBe('x');
      expect(await doc(json, 'i')).toBe('42');
      expect(await doc(json, 'f')).toBe('1.5');
      expect(await doc(json, 't')).toBe('true');
      expect(await doc(json, 'n')).toBeNull();
      expect(await doc(json, 'big')).toBe('1234567890123456789');
      expect(await doc(json, 'arr')).toMatch(/^\[1, ?2\]$/);
      expect(await doc(json, 'missing')).toBeNull();
      expect(await doc('["a","b"]', '0')).toBeNull();
    });

    it('propertyKeys lists the awkward keys exactly', async () => {
      const keys = (await propertyKeys(s, 'events')).map((k) => k.key);
      // Code-point order: '' < '$' < '/' < letters < 'ü' < U+FF01 < '🙂' (UTF-16 order would put the emoji before U+FF01).
      expect(keys).toEqual([
        '',
        '$.x',
        '$os',
        '/x',
        'a.b',
        "o'k",
        'os',
        'q"k',
        's/l',
        't~0',
        'ü',
        '\uff01',
        '🙂',
      ]);
    });

    it('timestampText gives ISO-8601 UTC with milliseconds', async () => {
      const d = s.dialect;
      await s.execute(`CREATE TABLE probe (t ${d.typeName('timestamp')})`);
      await s.execute(`INSERT INTO probe VALUES (${d.placeholder(1)}), (NULL)`, [
        new Date('2024-02-29T23:59:58.007Z'),
      ]);
      const text = await s.executeScalar(`SELECT ${d.timestampText('t')} FROM probe WHERE t IS NOT NULL`);
      expect(await s.executeScalar(`SELECT ${d.timestampText('t')} FROM probe WHERE t IS NULL`)).toBeNull();
      expect(text).toBe('2024-02-29T23:59:58.007Z');
    });

    it('columnFamily classifies the catalog types of the engine’s own tables', async () => {
      const d = s.dialect;
      const families = (await s.getSchema('events')).columns.map((c) => [c.name, d.columnFamily(c.type)]);
      expect(families).toEqual([
        ['event_name', 'text'],
        ['event_time', 'timestamp'],
        ['distinct_id', 'text'],
        ['insert_id', 'text'],
        ['properties', 'json'],
      ]);
      for (const type of ['int64', 'float64', 'boolean', 'date', 'string', 'json', 'timestamp'] as const) {
        const expected = { int64: 'number', float64: 'number', string: 'text' }[type as string] ?? type;
        expect([type, d.columnFamily(d.typeName(type))]).toEqual([type, expected]);
      }
    });

    it('quotes hand-made table and column names full of quotes and spaces', async () => {
      const d = s.dialect;
      const table = d.quoteIdentifier('odd "table" name');
      await s.execute(`CREATE TABLE ${table} (${d.quoteIdentifier('col "x"; --')} ${d.typeName('string')})`);
      await s.execute(`INSERT INTO ${table} VALUES ('a'), ('a'), (NULL)`);
      expect(await sample(s, 'odd "table" name', { n: 5 })).toHaveLength(3);
      expect(await summarize(s, 'odd "table" name')).toMatchObject([
        { name: 'col "x"; --', count: 2, nulls: 1, distinct: 1, min: 'a', max: 'a' },
      ]);
      expect(await columnStats(s, 'odd "table" name', 'col "x"; --')).toMatchObject({
        count: 2,
        nulls: 1,
        top: [{ value: 'a', count: 2 }],
      });
    });
  });
});
