/**
 * Tells whether any value repeated among the strings added, without keeping the strings: an
 * open-addressing set of 64-bit hashes (two independent 32-bit halves), probed linearly.
 *
 * The answer is one-sided, which is all a writer needs to skip its dedup statement safely:
 * `mayHaveRepeats === false` is exact (no string was added twice); `true` may be a false alarm (two
 * strings sharing a 64-bit hash, about 1 in 10^6 for 5M distinct strings, or more strings than the
 * probe tracks), which only costs the statement the caller would have run anyway.
 *
 * Memory: 8 bytes per slot, at most 3/4 of the slots used, doubling from 2^16 slots: about 16 MB for
 * 1M strings and 64 MB for 5M. Past {@link MAX_SLOTS} slots (6.3M strings) the probe stops tracking
 * and answers `true`, so it never holds more than 64 MB however long the source is.
 */

const INITIAL_SLOTS = 1 << 16;
/** 2^23 slots of 8 bytes: 64 MB. */
const MAX_SLOTS = 1 << 23;

export class RepeatProbe {
  /** Slot i holds hash halves [2i] and [2i+1]; an all-zero pair marks an empty slot. */
  #table = new Uint32Array(2 * INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #count = 0;
  #repeated = false;

  /** True once a string may have been added twice (or the probe stopped tracking). */
  get mayHaveRepeats(): boolean {
    return this.#repeated;
  }

  add(text: string): void {
    if (this.#repeated) return;
    // Two FNV-1a style passes fused in one loop (different primes and seeds), each finished with
    // murmur3's fmix32 so that strings differing in their last characters spread over all slots.
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    a = fmix32(a ^ text.length);
    b = fmix32(b ^ text.length);
    if (a === 0 && b === 0) b = 1; // (0, 0) is the empty marker
    if (!this.#insert(a, b)) {
      this.#repeated = true;
      return;
    }
    this.#count++;
    if (this.#count * 4 > (this.#mask + 1) * 3) this.#grow();
  }

  /** False when (a, b) is already present. */
  #insert(a: number, b: number): boolean {
    const table = this.#table;
    const mask = this.#mask;
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      const at = slot << 1;
      const x = table[at]!;
      const y = table[at + 1]!;
      if (x === 0 && y === 0) {
        table[at] = a;
        table[at + 1] = b;
        return true;
      }
      if (x === a >>> 0 && y === b >>> 0) return false;
    }
  }

  #grow(): void {
    const slots = (this.#mask + 1) * 2;
    if (slots > MAX_SLOTS) {
      // Give up rather than grow without bound: the caller then deduplicates in SQL.
      this.#repeated = true;
      this.#table = new Uint32Array(0);
      return;
    }
    const old = this.#table;
    this.#table = new Uint32Array(2 * slots);
    this.#mask = slots - 1;
    for (let at = 0; at < old.length; at += 2) {
      const a = old[at]!;
      const b = old[at + 1]!;
      if (a !== 0 || b !== 0) this.#insert(a, b);
    }
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
