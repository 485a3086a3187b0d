import { describe, expect, it } from 'vitest';
import { BadLine, type LineBlock, LineBlockSplitter } from '../../src/mixpanel/line-blocks.js';
import { cuts, ndjsonLines } from './support/byte-cuts.js';

function split(pieces: Uint8Array[]): { text: string; lines: number } {
  const splitter = new LineBlockSplitter();
  const blocks: LineBlock[] = [];
  for (const piece of pieces) {
    const block = splitter.push(Buffer.from(piece));
    if (block) blocks.push(block);
  }
  const last = splitter.end();
  if (last) blocks.push(last);
  for (const b of blocks) expect(b.bytes.at(-1)).toBe(0x0a);
  return {
    text: Buffer.concat(blocks.map((b) => b.bytes)).toString('utf8'),
    lines: blocks.reduce((n, b) => n + b.lines, 0),
  };
}

/** What the text reader makes of the same bytes: the lines the blocks must hold. */
async function textLines(bytes: Buffer): Promise<string[]> {
  return (await ndjsonLines([bytes])).map((l) => l.text);
}

describe('LineBlockSplitter', () => {
  it('holds exactly the text reader lines however the bytes are cut', async () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('{"a":"é€𝄞\u2028"}\r\n\n{"b":"😀"}\n\r\n{"c":1}\n{"d":"x\ry"}', 'utf8'),
    ]);
    const expected = await textLines(bytes);
    expect(expected).toEqual(['{"a":"é€𝄞\u2028"}', '{"b":"😀"}', '{"c":1}', '{"d":"x\ry"}']);
    for (const pieces of cuts(bytes)) {
      expect(split(pieces)).toEqual({ text: `${expected.join('\n')}\n`, lines: 4 });
    }
  });

  it('replaces invalid UTF-8 as the text reader does', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"a":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}\n'),
    ]);
    const expected = await textLines(bytes);
    expect(split([bytes]).text).toBe(`${expected.join('\n')}\n`);
    expect(expected[0]).toContain('\ufffd');
  });

  it('fails on a line that cannot be an event, naming its physical line', () => {
    const splitter = new LineBlockSplitter();
    expect(splitter.push(Buffer.from('{"a":1}\n\n{"b":'))).toMatchObject({ lines: 1 });
    const error = (() => {
      try {
        splitter.push(Buffer.from('2}\nterminated early\n'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BadLine);
    expect(error).toMatchObject({ lineNumber: 4, text: 'terminated early' });
    expect(() => new LineBlockSplitter().end()).not.toThrow();
    const cut = new LineBlockSplitter();
    cut.push(Buffer.from('{"a":1}\n{"b":'));
    expect(() => cut.end()).toThrow(BadLine);
  });
});
