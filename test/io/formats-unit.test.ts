import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonText } from '../../src/io/canonical-json.js';
import { csvLine, parseCsv } from '../../src/io/csv-text.js';
import {
  eventRowToLine,
  profileRowToLine,
  rawEventToRecord,
  rawProfileToRecord,
} from '../../src/io/mixpanel-lines.js';
import { ChecksumAccumulator } from '../../src/io/table-checksum.js';
import { parseJsonLossless } from '../../src/mixpanel/lossless-json-line.js';
import { stringifyJson } from '../../src/values/json-text.js';

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function parseAll(text: string, size: number): Promise<(string | null)[][]> {
  const out: (string | null)[][] = [];
  for await (const batch of parseCsv(chunks(text, size))) for (const r of batch) out.push(r.fields);
  return out;
}

describe('CSV text', () => {
  const rows: (string | null)[][] = [
    ['a', 'b', 'c'],
    ['plain', '', null],
    ['with, comma', 'with "quotes"', 'multi\nline\r\nfield'],
    ['{"k":[1,2],"s":"x,y"}', '""', 'ünïcødé ☃ 🎉'],
    [null, null, 'end'],
  ];
  const text = rows.map(csvLine).join('');

  it.each([1, 2, 3, 7, 64, 100_000])(
    'parses what it writes, split into %i-character chunks',
    async (size) => {
      expect(await parseAll(text, size)).toEqual(rows);
    },
  );

  it('reads CRLF line ends, a last line without one, and rejects an unterminated quote', async () => {
    expect(await parseAll('x,y\r\n1,"2"\r\n3,4', 5)).toEqual([
      ['x', 'y'],
      ['1', '2'],
      ['3', '4'],
    ]);
    await expect(parseAll('x\n"open', 3)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('canonical JSON and the checksum', () => {
  it('gives the same text for what PostgreSQL jsonb and JavaScript write for one document', () => {
    const js = stringifyJson({ b: 1e21, a: [1.5e-7, 3928097563762691601n, -0], c: { z: null, y: 'é' } });
    const jsonb =
      '{"a": [0.00000015, 3928097563762691601, 0], "b": 1000000000000000000000, "c": {"y": "\\u00e9", "z": null}}';
    expect(canonicalJsonText(js)).toBe(canonicalJsonText(jsonb));
    expect(canonicalJsonText(js)).toBe(
      '{"a":[1.5e-7,3928097563762691601,0],"b":1e+21,"c":{"y":"é","z":null}}',
    );
    expect(canonicalJson(parseJsonLossless('{"x":12345678901234567890}'))).toBe('{"x":12345678901234567890}');
  });

  it('is pinned: the definition of version 1 never changes silently', () => {
    const acc = new ChecksumAccumulator([
      { name: 'id', type: 'int64' },
      { name: 'at', type: 'timestamp' },
      { name: 'doc', type: 'json' },
      { name: 'label', type: 'string' },
    ]);
    acc.add([3928097563762691601n, new Date('2024-06-01T10:00:00.123Z'), '{"b":1,"a":[true,null]}', 'x']);
    acc.add([1, null, null, null]);
    // The definition, re-done by hand: canonical row text → SHA-256 → two 64-bit sums.
    const texts = [
      '{"at":"2024-06-01T10:00:00.123Z","doc":{"a":[true,null],"b":1},"id":3928097563762691601,"label":"x"}',
      '{"at":null,"doc":null,"id":1,"label":null}',
    ];
    let high = 0n;
    let low = 0n;
    for (const text of texts) {
      const digest = createHash('sha256').update(text).digest();
      high = (high + digest.readBigUInt64BE(0)) & ((1n << 64n) - 1n);
      low = (low + digest.readBigUInt64BE(8)) & ((1n << 64n) - 1n);
    }
    const byHand = high.toString(16).padStart(16, '0') + low.toString(16).padStart(16, '0');
    expect(acc.result()).toEqual({ rows: 2, checksum: byHand });
    expect(byHand).toBe('db7d43cf8b640f9856ac4b436df546d9');
    // Order does not matter; a changed value does.
    const swapped = new ChecksumAccumulator([
      { name: 'label', type: 'string' },
      { name: 'doc', type: 'json' },
      { name: 'at', type: 'timestamp' },
      { name: 'id', type: 'int64' },
    ]);
    swapped.add([null, null, null, 1]);
    swapped.add([
      'x',
      '{"a": [true, null], "b": 1}',
      new Date('2024-06-01T10:00:00.123Z'),
      3928097563762691601n,
    ]);
    expect(swapped.result()).toEqual(acc.result());
    const changed = new ChecksumAccumulator([{ name: 'id', type: 'int64' }]);
    changed.add([3928097563762691600n]);
    const original = new ChecksumAccumulator([{ name: 'id', type: 'int64' }]);
    original.add([3928097563762691601n]);
    expect(changed.result().checksum).not.toBe(original.result().checksum);
    expect(original.result().checksum).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('Mixpanel lines', () => {
  const time = new Date(1717236000123);

  it('round-trip events whose properties lack, contradict or repeat the columns', () => {
    const cases: unknown[][] = [
      ['A', time, 'u', 'i1', stringifyJson({ x: 3928097563762691601n })],
      ['B', time, '', '~abc-1', null],
      [
        'C',
        new Date(1717236000000),
        'u',
        'i2',
        '{"time":1717236000,"distinct_id":"u","$insert_id":"i2","k":1}',
      ],
      ['D', time, '42', 'i3', '{"time":1717236000123,"distinct_id":42,"$insert_id":"other"}'],
      ['E', time, 'u', 'i4', '{}'],
    ];
    for (const row of cases) {
      const line = parseJsonLossless(eventRowToLine(row)) as Record<string, unknown>;
      const record = rawEventToRecord(line, 1, false);
      expect(record.event_name).toBe(row[0]);
      expect(new Date(record.event_time as number)).toEqual(row[1]);
      expect(record.distinct_id).toBe(row[2]);
      expect(record.insert_id).toBe(row[3]);
      expect(record.properties === null ? null : stringifyJson(record.properties)).toBe(row[4]);
    }
  });

  it('round-trip profiles, $last_seen included', () => {
    const cases: unknown[][] = [
      ['u1', '{"$last_seen":"2024-06-01T10:00:00","n":1}', new Date('2024-06-01T10:00:00Z')],
      ['u2', null, null],
      ['u3', '{"$last_seen":"garbage"}', time],
      ['u4', '{"a":1}', null],
    ];
    for (const row of cases) {
      const record = rawProfileToRecord(
        parseJsonLossless(profileRowToLine(row)) as Record<string, unknown>,
        1,
      );
      expect(record.distinct_id).toBe(row[0]);
      expect(record.properties === null ? null : stringifyJson(record.properties)).toBe(row[1]);
      expect(record.last_seen).toEqual(row[2]);
    }
  });
});
