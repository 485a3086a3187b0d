/**
 * The fake server's own deterministic randomness. Everything the fake generates derives from the
 * seed through these functions, never from `Math.random()`, so the same seed gives byte-identical
 * responses on every machine and Node version.
 */

const GOLDEN = 0x9e3779b9;

/** Mixes 32 bits into 32 well-spread bits (the "lowbias32" finalizer). */
export function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Hashes two 32-bit values into one; the order of the inputs matters. */
export function hash2(a: number, b: number): number {
  return mix32(mix32(a) ^ Math.imul(b | 0, GOLDEN) ^ 0x5bd1e995);
}

/** Hashes three 32-bit values into one; the order of the inputs matters. */
export function hash3(a: number, b: number, c: number): number {
  return hash2(hash2(a, b), c);
}

/** Hashes a string (FNV-1a over UTF-16 code units, then mixed). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Formats the low `digits * 4` bits of `value` as fixed-width lowercase hex (table-driven: it is on the hot path). */
export function hex(value: number, digits: 2 | 4 | 6 | 8): string {
  const v = value >>> 0;
  const low = (BYTE_HEX[(v >>> 8) & 255] as string) + (BYTE_HEX[v & 255] as string);
  if (digits === 4) return low;
  if (digits === 8) return (BYTE_HEX[v >>> 24] as string) + (BYTE_HEX[(v >>> 16) & 255] as string) + low;
  if (digits === 6) return (BYTE_HEX[(v >>> 16) & 255] as string) + low;
  return BYTE_HEX[v & 255] as string;
}

/**
 * A counter-based generator: `reseed()` is one assignment, so the hot export path can restart it
 * for every event slot without allocating.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** Restarts the sequence from `seed`. */
  reseed(seed: number): void {
    this.state = seed | 0;
  }

  /** Next unsigned 32-bit value. */
  uint32(): number {
    this.state = (this.state + GOLDEN) | 0;
    return mix32(this.state);
  }

  /** Next float in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Next integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Next integer in [min, max], both inclusive. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** Picks an index from cumulative weights (last entry = total), using one uniform draw `u` in [0, 1). */
export function pickWeighted(cumulative: readonly number[], u: number): number {
  const target = u * (cumulative[cumulative.length - 1] ?? 0);
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] ?? 0) > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
