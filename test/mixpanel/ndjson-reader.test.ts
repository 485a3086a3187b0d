import { describe, expect, it } from 'vitest';
import { cuts, ndjsonLines as lines } from './support/byte-cuts.js';

describe('readNdjsonLines', () => {
  it('gives the same lines however the bytes are cut, including inside multi-byte characters', async () => {
    const text = '{"a":"é€𝄞"}\n{"b":"😀 emoji"}\n\n{"c":"plain"}\n';
    const expected = [
      { text: '{"a":"é€𝄞"}', lineNumber: 1 },
      { text: '{"b":"😀 emoji"}', lineNumber: 2 },
      { text: '{"c":"plain"}', lineNumber: 4 },
    ];
    for (const pieces of cuts(Buffer.from(text, 'utf8'))) {
      expect(await lines(pieces)).toEqual(expected);
    }
  });

  it('drops one \\r before \\n and keeps other \\r characters', async () => {
    const text = 'one\r\ntwo\r\r\nthree\rx\n';
    expect((await lines([Buffer.from(text)])).map((l) => l.text)).toEqual(['one', 'two\r', 'three\rx']);
  });

  it('never splits on U+2028, U+2029 or U+0085', async () => {
    const text = '{"s":"a\u2028b\u2029c\u0085d"}\n{"t":1}\n';
    const out = await lines(cuts(Buffer.from(text, 'utf8'))[7]!);
    expect(out.map((l) => l.text)).toEqual(['{"s":"a\u2028b\u2029c\u0085d"}', '{"t":1}']);
  });

  it('accepts a last line without a newline, and one ending in \\r', async () => {
    expect((await lines([Buffer.from('{"a":1}\n{"b":2}')])).map((l) => l.text)).toEqual([
      '{"a":1}',
      '{"b":2}',
    ]);
    expect((await lines([Buffer.from('{"a":1}\r')])).map((l) => l.text)).toEqual(['{"a":1}']);
  });

  it('yields nothing for an empty body or only blank lines', async () => {
    expect(await lines([])).toEqual([]);
    expect(await lines([Buffer.from('\n\r\n\n')])).toEqual([]);
  });

  it('carries a line across many chunks without a newline', async () => {
    const long = `{"k":"${'x'.repeat(50_000)}"}`;
    const out = await lines(
      [...Buffer.from(`${long}\n{"z":0}\n`)].reduce<Uint8Array[]>((acc, b, i) => {
        if (i % 997 === 0) acc.push(new Uint8Array(0));
        const last = acc[acc.length - 1]!;
        const next = new Uint8Array(last.length + 1);
        next.set(last);
        next[last.length] = b;
        acc[acc.length - 1] = next;
        return acc;
      }, []),
    );
    expect(out.map((l) => l.text)).toEqual([long, '{"z":0}']);
  });
});
