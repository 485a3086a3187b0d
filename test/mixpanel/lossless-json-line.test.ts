import { describe, expect, it } from 'vitest';
import {
  LosslessLineParser,
  parseJsonLossless,
  parseJsonNumber,
} from '../../src/mixpanel/lossless-json-line.js';

describe('parseJsonNumber', () => {
  it('keeps integers beyond 2^53-1 exact as bigint and everything else as number', () => {
    expect(parseJsonNumber('3928097563762691601')).toBe(3928097563762691601n);
    expect(parseJsonNumber('-9007199254740993')).toBe(-9007199254740993n);
    expect(parseJsonNumber('9007199254740992')).toBe(9007199254740992n);
    expect(parseJsonNumber('9007199254740991')).toBe(9007199254740991);
    expect(parseJsonNumber('-9007199254740991')).toBe(-9007199254740991);
    expect(parseJsonNumber('1717243514127')).toBe(1717243514127);
    expect(parseJsonNumber('42.5')).toBe(42.5);
    expect(parseJsonNumber('1e20')).toBe(1e20);
    expect(parseJsonNumber('12345678901234567890.5')).toBe(Number('12345678901234567890.5'));
    expect(Object.is(parseJsonNumber('-0'), -0)).toBe(true);
  });
});

describe('parseJsonLossless', () => {
  it('parses the spec example with the big account id exact', () => {
    const line =
      '{"event":"Purchase","properties":{"time":1717243512,"distinct_id":"u_8c1f","mp_processing_time_ms":1717243514127,"amount":42.5,"account_id":3928097563762691601}}';
    const value = parseJsonLossless(line) as { properties: Record<string, unknown> };
    expect(value.properties.account_id).toBe(3928097563762691601n);
    expect(value.properties.time).toBe(1717243512);
    expect(value.properties.amount).toBe(42.5);
    expect(value.properties.mp_processing_time_ms).toBe(1717243514127);
  });

  it('finds big integers nested in arrays and objects', () => {
    const value = parseJsonLossless('{"a":[1,{"b":[-12345678901234567890]}],"c":"12345678901234567890"}') as {
      a: [number, { b: bigint[] }];
      c: string;
    };
    expect(value.a[1].b[0]).toBe(-12345678901234567890n);
    expect(value.c).toBe('12345678901234567890');
  });

  it('matches JSON.parse for duplicate keys and __proto__ keys on the lossless path', () => {
    const text = '{"big":99999999999999999999,"k":1,"k":2,"__proto__":{"x":1}}';
    const value = parseJsonLossless(text) as Record<string, unknown>;
    expect(value.k).toBe(2);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('throws on invalid JSON', () => {
    expect(() => parseJsonLossless('{"a":')).toThrow();
    expect(() => parseJsonLossless('terminated early')).toThrow();
  });
});

describe('LosslessLineParser', () => {
  it('gives the same values as parseJsonLossless whatever the mix of lines', () => {
    const lines = [
      '{"a":1}',
      '{"a":3928097563762691601}',
      '{"a":3928097563762691602,"b":[1.5]}',
      '{"a":2,"s":"x\u2028y"}',
      '{"a":-3928097563762691601}',
      '{"a":2}',
      '{"a":9007199254740991}',
    ];
    const parser = new LosslessLineParser();
    for (const line of [...lines, ...lines.reverse()]) {
      expect(parser.parse(line)).toEqual(parseJsonLossless(line));
    }
  });
});
