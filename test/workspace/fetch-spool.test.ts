import { describe, expect, it } from 'vitest';
import { hasWideInteger } from '../../src/workspace/fetch-spool.js';

// The sampled scan must agree with the plain definition: a run of 20+ digits, or '-' and 19.
const WIDE = /\d{20}|-\d{19}/;

describe('hasWideInteger', () => {
  it('agrees with the regular expression on every placement of long digit runs', () => {
    const digits = (n: number) => '1234567890'.repeat(3).slice(0, n);
    for (const run of [18, 19, 20, 25]) {
      for (const sign of ['', '-', 'x-']) {
        for (let offset = 0; offset < 45; offset++) {
          for (const tail of ['', '}', '123']) {
            const text = `${'a'.repeat(offset)}${sign}${digits(run)}${tail}`;
            expect([text, hasWideInteger(Buffer.from(text))]).toEqual([text, WIDE.test(text)]);
          }
        }
      }
    }
  });

  it('agrees on random JSON-like text with many numbers', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const alphabet = '0123456789012345678901234567890123456789-",:{} ab.';
    for (let i = 0; i < 300; i++) {
      const length = 50 + (next() % 400);
      let text = '';
      for (let k = 0; k < length; k++) text += alphabet[next() % alphabet.length];
      expect([text, hasWideInteger(Buffer.from(text))]).toEqual([text, WIDE.test(text)]);
    }
  });
});
