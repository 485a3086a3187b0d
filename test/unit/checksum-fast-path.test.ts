import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ColumnDef } from '../../src/backend/column-types.js';
import { canonicalJson, canonicalJsonText } from '../../src/io/canonical-json.js';
import { scanCanonicalJson } from '../../src/io/canonical-json-scan.js';
import { canonicalCell } from '../../src/io/cell-values.js';
import { DigestSums } from '../../src/io/digest-sums.js';
import { ChecksumAccumulator } from '../../src/io/table-checksum.js';
import { parseJsonLossless } from '../../src/mixpanel/lossless-json-line.js';

// The checksum's fast paths must not change its definition: existing sidecars carry checksums made
// by the general path. Each is compared with that path on awkward and random input.

/** The general path: parse losslessly, then write canonically; text that is not JSON is a string. */
function reference(text: string): string {
  try {
    return canonicalJson(parseJsonLossless(text));
  } catch {
    return JSON.stringify(text);
  }
}

const AWKWARD = [
  '{"b":1,"a":2}',
  '{"a":1,"a":2,"b":{"z":[1,2,{"y":null,"x":true}],"a":false}}',
  ' { "sp" : [ 1 , 2 ] , "t" : "x" } ',
  '{"wide":123456789012345678901,"neg":-98765432109876543210,"big":3928097563762691601,"f":1e21,"g":1E+2}',
  '{"n":[0,-0,-0.0,1.0,1.50,1e-7,1.5e-7,0.1,100000000000000000000,1000000000000000000000,1e400,-1e400]}',
  '{"n":[9007199254740993,-9007199254740993,9007199254740992,12345678901234567890,999999999999999999999]}',
  '{"s":"é😀\\u2028 \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u0001 \\ud800 lone \\udc00 \\ud83d\\ude00"}',
  `{"raw":"é😀\u2028\u007f"}`,
  '{"k\\u0000ey":1,"key":2,"kéy":3,"KEY":4,"10":5,"9":6,"":7}',
  '{"__proto__":{"x":1},"a":1}',
  '[]',
  '{}',
  '"text"',
  '12',
  '-0',
  'null',
  'true',
  // Not JSON: both sides treat it as a plain string.
  '{"a":1,}',
  '[1,]',
  '{"a":01}',
  '{"a":.5}',
  '{"a":+1}',
  '{"a":NaN}',
  "{'a':1}",
  '{"a":"unterminated}',
  '{"a":"bad \\x escape"}',
  `{"a":"raw\ncontrol"}`,
  '{"a":1} trailing',
  '',
  'not json',
  '[1,2',
  '{"a" 1}',
  '1.',
  '1e',
  '--1',
];

/** A random JSON text with duplicate keys, odd numbers, escapes and whitespace. */
function randomJson(depth: number, random: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const space = () => pick(['', '', ' ', '\n', '\t ']);
  const kind =
    depth > 3
      ? pick(['number', 'string', 'literal'])
      : pick(['object', 'array', 'number', 'string', 'literal']);
  switch (kind) {
    case 'object': {
      const n = Math.floor(random() * 6);
      const members = Array.from(
        { length: n },
        () =>
          `${space()}${randomString(random)}${space()}:${space()}${randomJson(depth + 1, random)}${space()}`,
      );
      return `{${members.join(',')}}`;
    }
    case 'array':
      return `[${Array.from({ length: Math.floor(random() * 5) }, () => `${space()}${randomJson(depth + 1, random)}`).join(',')}]`;
    case 'number':
      return pick([
        String(Math.floor(random() * 1000)),
        `-${Math.floor(random() * 1e6)}`,
        `${Math.floor(random() * 9) + 1}${'0123456789'.repeat(3).slice(0, Math.floor(random() * 25))}`,
        `-${Math.floor(random() * 9) + 1}${'9876543210'.repeat(3).slice(0, Math.floor(random() * 25))}`,
        String(random() * 1e6),
        `${Math.floor(random() * 100)}.${Math.floor(random() * 1000)}e${pick(['', '+', '-'])}${Math.floor(random() * 30)}`,
        '0',
        '-0',
        '0.0',
      ]);
    case 'string':
      return randomString(random);
    default:
      return pick(['true', 'false', 'null']);
  }
}

function randomString(random: () => number): string {
  const parts = [
    'a',
    'b',
    'key',
    'é',
    '😀',
    '\\n',
    '\\"',
    '\\\\',
    '\\u00e9',
    '\\ud83d\\ude00',
    '\\ud800',
    ' ',
    '\u2028',
    'Z',
  ];
  const n = Math.floor(random() * 4);
  return `"${Array.from({ length: n }, () => parts[Math.floor(random() * parts.length)]).join('')}"`;
}

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('canonical JSON straight from text', () => {
  it.each(AWKWARD.map((text) => [text]))('equals the general path: %j', (text) => {
    expect(canonicalJsonText(text)).toBe(reference(text));
    const scanned = scanCanonicalJson(text);
    if (scanned !== null) expect(scanned).toBe(reference(text));
  });

  it('takes the fast path for what real properties hold', () => {
    expect(scanCanonicalJson(AWKWARD[3]!)).not.toBeNull();
    expect(scanCanonicalJson(AWKWARD[6]!)).not.toBeNull();
    expect(scanCanonicalJson('{"a":1,}')).toBeNull();
  });

  it('equals the general path on 20,000 random documents', () => {
    const random = seeded(6);
    for (let i = 0; i < 20_000; i++) {
      const text = randomJson(0, random);
      const got = canonicalJsonText(text);
      if (got !== reference(text)) expect({ text, got }).toEqual({ text, got: reference(text) });
    }
  });
});

describe('the checksum sums', () => {
  it('equal 64-bit BigInt sums, overflow included', () => {
    const sums = new DigestSums();
    const mask = (1n << 64n) - 1n;
    let high = 0n;
    let low = 0n;
    const digests = [
      Buffer.alloc(32, 0xff),
      Buffer.alloc(32, 0xff),
      ...Array.from({ length: 5000 }, () => randomBytes(32)),
    ];
    for (const digest of digests) {
      sums.add(digest);
      high = (high + digest.readBigUInt64BE(0)) & mask;
      low = (low + digest.readBigUInt64BE(8)) & mask;
    }
    expect(sums.hex()).toBe(high.toString(16).padStart(16, '0') + low.toString(16).padStart(16, '0'));
  });

  it('a table checksum still follows the documented definition', () => {
    const columns: ColumnDef[] = [
      { name: 'event_name', type: 'string' },
      { name: 'event_time', type: 'timestamp' },
      { name: 'properties', type: 'json' },
      { name: 'n', type: 'int64' },
    ];
    const rows = [
      ['Purchase ☃', new Date('2024-06-01T10:00:00.123Z'), AWKWARD[3], 3928097563762691601n],
      ['x', new Date(0), AWKWARD[6], null],
      ['y', null, null, 7],
      ['z', new Date(1), 'not json', -1],
    ];
    const accumulator = new ChecksumAccumulator(columns);
    for (const row of rows) accumulator.add(row);
    // The definition, written out with the general path (keys sorted, BigInt sums of SHA-256).
    const mask = (1n << 64n) - 1n;
    let high = 0n;
    let low = 0n;
    const order = columns.map((c, i) => ({ c, i })).sort((a, b) => (a.c.name < b.c.name ? -1 : 1));
    for (const row of rows) {
      const text = `{${order
        .map(({ c, i }) =>
          c.type === 'json' && row[i] != null
            ? `${JSON.stringify(c.name)}:${reference(String(row[i]))}`
            : `${JSON.stringify(c.name)}:${canonicalCell(row[i], c.type)}`,
        )
        .join(',')}}`;
      const digest = createHash('sha256').update(text).digest();
      high = (high + digest.readBigUInt64BE(0)) & mask;
      low = (low + digest.readBigUInt64BE(8)) & mask;
    }
    expect(accumulator.result()).toEqual({
      rows: 4,
      checksum: high.toString(16).padStart(16, '0') + low.toString(16).padStart(16, '0'),
    });
  });
});
