import { hash2 } from './prng.js';

/**
 * A bijection on [0, size) computed on demand (a small Feistel network with cycle walking), so the
 * export can emit a day's events in a fixed shuffled order without holding the day in memory.
 */
export class IndexPermutation {
  private readonly halfBits: number;
  private readonly mask: number;
  private readonly keys: readonly number[];

  constructor(
    private readonly size: number,
    key: number,
  ) {
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.halfBits = bits / 2;
    this.mask = (1 << this.halfBits) - 1;
    this.keys = [hash2(key, 1), hash2(key, 2), hash2(key, 3), hash2(key, 4)];
  }

  /** The position-`index` element of the permuted sequence. */
  at(index: number): number {
    if (this.size <= 1) return index;
    let value = this.encrypt(index);
    // Cycle walking: the Feistel domain is a power of 4 at least `size`, so values outside the
    // range are re-encrypted until they land inside it; this stays a bijection on [0, size).
    while (value >= this.size) value = this.encrypt(value);
    return value;
  }

  private encrypt(value: number): number {
    let left = value >>> this.halfBits;
    let right = value & this.mask;
    for (const key of this.keys) {
      const next = left ^ (hash2(key, right) & this.mask);
      left = right;
      right = next;
    }
    return ((left << this.halfBits) | right) >>> 0;
  }
}
