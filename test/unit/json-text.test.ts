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
