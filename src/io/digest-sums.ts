import * as crypto from 'node:crypto';

/**
 * The arithmetic of the content checksum (`table-checksum.ts`): each row's SHA-256, its first 16
 * bytes read as two unsigned 64-bit big-endian integers, summed modulo 2^64 each. The sums are kept
 * as four 32-bit words in plain numbers, carried after every add: BigInt reads and adds per row
 * cost more than the hash itself at a million rows.
 */

/** SHA-256 of `text` (UTF-8): the one-shot `crypto.hash` where Node has it (20.12+), else a Hash object. */
export const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'buffer') as unknown as Buffer
    : (text) => crypto.createHash('sha256').update(text).digest();

const WORD = 2 ** 32;

/** Two running sums modulo 2^64 of a digest's first two big-endian 64-bit words. */
export class DigestSums {
  /** High sum (high word, low word), then low sum (high word, low word). */
  #words = [0, 0, 0, 0];

  add(digest: Buffer): void {
    const w = this.#words;
    for (let half = 0; half < 2; half++) {
      const at = half * 2;
      const low = w[at + 1]! + digest.readUInt32BE(half * 8 + 4);
      const carry = low >= WORD ? 1 : 0;
      w[at + 1] = low - carry * WORD;
      // The carry out of the high word is the sum's overflow past 2^64: dropped (modulo 2^64).
      w[at] = (w[at]! + digest.readUInt32BE(half * 8) + carry) % WORD;
    }
  }

  /** 32 lower-case hex digits: the high sum, then the low sum. */
  hex(): string {
    return this.#words.map((word) => word.toString(16).padStart(8, '0')).join('');
  }
}
