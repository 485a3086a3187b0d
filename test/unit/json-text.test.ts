import { describe, expect, it } from 'vitest';
import { canonicalJsonObject, parseJsonLossless, stringifyJson } from '../../src/values/json-text.js';

describe('stringifyJson', () => {
  it('writes bigints as bare digits, exactly', () => {
    const text = stringifyJson({
      id: 3928097563762691601n,
      neg: -9007199254740993n,
      n: [1n, { x: 2n }],
      s: 'a"b',
    });
    expect(text).toBe('{"id":3928097563762691601,"neg":-9007199254740993,"n":[1,{"x":2}],"s":"a\\"b"}');
  });

  it('leaves strings that look like markers alone', () => {
    const tricky = { s: '\u0000n123', big: 1n };
    expect(JSON.parse(stringifyJson(tricky)).s).toBe('\u0000n123');
  });

  it('uses the plain path when there is no bigint', () => {
    expect(stringifyJson({ a: 1, u: '\u2028é😀' })).toBe(JSON.stringify({ a: 1, u: '\u2028é😀' }));
  });
});

describe('parseJsonLossless', () => {
  it('keeps unsafe integers as bigint and everything else as number', () => {
    expect(parseJsonLossless('{"a":3928097563762691601,"b":12,"c":1.5,"d":1e3}')).toEqual({
      a: 3928097563762691601n,
      b: 12,
      c: 1.5,
      d: 1000,
    });
  });

  it('round-trips through stringifyJson digit for digit', () => {
    const text = '{"account_id":3928097563762691601,"nested":{"ids":[18446744073709551615]}}';
    expect(stringifyJson(parseJsonLossless(text))).toBe(text);
  });

  it('canonicalJsonObject refuses non-objects and invalid JSON', () => {
    expect(() => canonicalJsonObject('[1]', 'properties')).toThrow(/must be a JSON object/);
    expect(() => canonicalJsonObject('{bad', 'properties')).toThrow(/not valid JSON/);
  });
});

describe('stringifyJson and lone surrogates', () => {
  it('replaces lone surrogates (values and keys) with U+FFFD, keeping pairs, bigints and backslashes', () => {
    const text = stringifyJson({
      a: 'x\ud800y',
      ['k\udc00']: [1, 'z\udfff'],
      pair: '😀',
      big: 12345678901234567890n,
      literal: 'back\\ud800',
    });
    expect(text).toBe(
      '{"a":"x\ufffdy","k\ufffd":[1,"z\ufffd"],"pair":"😀","big":12345678901234567890,"literal":"back\\\\ud800"}',
    );
    // The result is JSON that strict parsers (DuckDB, PostgreSQL) accept: no escaped lone surrogate.
    expect(text).not.toMatch(/(?<!\\)\\ud[89a-f]/i);
  });
});

describe('stringifyJson of a plain object with top-level bigints (the member-by-member path)', () => {
  /** What JSON.stringify would write if it knew bigints: the reference the fast path must match. */
  const reference = (value: unknown) =>
    JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `BIG:${v}` : v)).replace(
      /"BIG:(-?\d+)"/g,
      '$1',
    );

  it('writes exactly what JSON.stringify writes, member for member', () => {
    const value = {
      b: 12345678901234567890n,
      '2': 'integer-like keys come first',
      '1': -0,
      s: 'quote " backslash \\ tab \t nul \u0000 é 😀 \u2028',
      'key "quoted"\n': true,
      f: false,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      frac: 0.1,
      exp: 1e21,
      nul: null,
      undef: undefined,
      fn: () => 1,
      sym: Symbol('x'),
      date: new Date(Date.UTC(2024, 5, 1)),
      nested: { deep: 2n, list: [1n, 'x', null, undefined] },
      withToJson: { toJSON: () => 'custom' },
    };
    expect(stringifyJson(value)).toBe(reference(value));
    expect(stringifyJson(value)).toContain('"b":12345678901234567890');
  });

  it('handles null-prototype objects, many distinct keys and negative bigints', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { id: -42n, a: 'b' });
    expect(stringifyJson(bare)).toBe('{"id":-42,"a":"b"}');
    const many: Record<string, unknown> = { big: 1n };
    for (let i = 0; i < 5000; i++) many[`k${i}`] = i; // past the member-name cache
    expect(stringifyJson(many)).toBe(reference(many));
  });

  it('leaves objects with their own toJSON or class instances to JSON.stringify', () => {
    class Box {
      big = 7n;
      toJSON() {
        return { boxed: String(this.big) };
      }
    }
    expect(stringifyJson(new Box())).toBe('{"boxed":"7"}');
    expect(stringifyJson({ toJSON: () => ({ v: 1 }), big: 3n })).toBe('{"v":1}');
  });

  it('still replaces lone surrogates in a bigint-bearing object', () => {
    expect(stringifyJson({ big: 1n, s: 'x\ud800' })).toBe('{"big":1,"s":"x\ufffd"}');
  });
});
