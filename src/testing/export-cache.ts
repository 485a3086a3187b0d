import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { FakeDataSet } from './fake-data.js';
import type { FakeEventHead } from './fake-events.js';

/**
 * One project day of export lines (default filters: every event, no `where`, no `limit`),
 * compressed once as a raw deflate segment that ends on a byte boundary without a final block, so
 * segments of consecutive days concatenate into one deflate stream (see {@link gzipFrame}).
 */
export interface DaySegment {
  readonly deflated: Buffer;
  /** CRC-32 and length of the uncompressed lines, for the gzip trailer. */
  readonly crc: number;
  readonly bytes: number;
  readonly lines: number;
  /**
   * The segment is what the day serves while `visibleFrom <= now < hiddenFrom`: the largest
   * processing time among its lines and the smallest among the day's lines not visible yet. The
   * fake clock can move either way (`setNow`, `reset`), so both ends count.
   */
  readonly visibleFrom: number;
  readonly hiddenFrom: number;
}

const deflateRaw = promisify(zlib.deflateRaw);
// Lines rendered between yields to the event loop, so other requests keep being served while a
// day is generated.
const LINES_PER_YIELD = 2048;
const RENDER_BUFFER_BYTES = 1 << 20;
// A final, empty fixed-Huffman block: what zlib emits for Z_FINISH after a sync flush.
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Export responses served from memory instead of being generated and gzipped per request: the fake
 * shares the CPU with the client it serves, which real Mixpanel does not, so benchmarks of the
 * client would otherwise measure the fake (option `exportCache`).
 *
 * The decompressed bytes are exactly the generated ones; only where gzip flushes differs (once per
 * day instead of once per `chunkBytes`). Days are cached per `time_in_ms` value and regenerated
 * when the fake clock leaves the window in which the same lines are visible.
 */
export class ExportCache {
  private readonly entries = new Map<string, Promise<DaySegment>>();

  constructor(
    private readonly data: FakeDataSet,
    private readonly level: number,
  ) {}

  /** The segment of `day` as the export serves it at `nowMs`. */
  async segment(day: number, timeInMs: boolean, nowMs: number): Promise<DaySegment> {
    const key = `${day}:${timeInMs ? 'ms' : 's'}`;
    for (;;) {
      let pending = this.entries.get(key);
      if (pending === undefined) {
        pending = this.build(day, timeInMs, nowMs);
        this.entries.set(key, pending);
        const built = pending;
        built.catch(() => {
          if (this.entries.get(key) === built) this.entries.delete(key);
        });
      }
      const segment = await pending;
      if (segment.visibleFrom <= nowMs && nowMs < segment.hiddenFrom) return segment;
      // Built for another clock reading: drop it (unless someone already did) and build again.
      if (this.entries.get(key) === pending) this.entries.delete(key);
    }
  }

  /**
   * Builds every day of the data set for the default `time_in_ms=false`, keeping at most two days
   * in flight: generating the next day overlaps compressing the previous one (zlib runs on the
   * thread pool).
   */
  async precompute(nowMs: () => number): Promise<void> {
    const { firstDay, lastDay } = this.data.events;
    let previous: Promise<unknown> = Promise.resolve();
    for (let day = firstDay; day <= lastDay; day++) {
      const next = this.segment(day, false, nowMs());
      await previous;
      previous = next;
    }
    await previous;
  }

  private async build(day: number, timeInMs: boolean, nowMs: number): Promise<DaySegment> {
    const generator = this.data.events;
    let visibleFrom = Number.NEGATIVE_INFINITY;
    let hiddenFrom = Number.POSITIVE_INFINITY;
    const accept = (head: FakeEventHead): boolean => {
      const at = head.processingTimeMs;
      if (at > nowMs) {
        if (at < hiddenFrom) hiddenFrom = at;
        return false;
      }
      if (at > visibleFrom) visibleFrom = at;
      return true;
    };
    const pieces: Buffer[] = [];
    let buffer = Buffer.allocUnsafe(RENDER_BUFFER_BYTES);
    let used = 0;
    let lines = 0;
    const count = generator.dayCount(day);
    for (let position = 0; position < count; position++) {
      if (position % LINES_PER_YIELD === LINES_PER_YIELD - 1) await yieldToEventLoop();
      const line = generator.line(day, generator.slotAt(day, position), timeInMs, accept);
      if (line === null) continue;
      lines++;
      // UTF-8 needs at most 3 bytes per UTF-16 unit; the body writer encodes lines the same way.
      const needed = line.length * 3;
      if (used + needed > buffer.length) {
        pieces.push(buffer.subarray(0, used));
        buffer = Buffer.allocUnsafe(Math.max(RENDER_BUFFER_BYTES, needed));
        used = 0;
      }
      used += buffer.write(line, used, 'utf8');
    }
    pieces.push(buffer.subarray(0, used));
    const text = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    const deflated = await deflateRaw(text, {
      level: this.level,
      memLevel: 9,
      // Ends byte-aligned with an empty stored block and no final block: concatenable.
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    return { deflated, crc: crc32(text), bytes: text.length, lines, visibleFrom, hiddenFrom };
  }
}

/**
 * The gzip member (RFC 1952) made of `segments` in order: header, the concatenated deflate
 * segments, a final empty block, then CRC-32 and length of the whole uncompressed body.
 */
export function gzipFrame(segments: readonly DaySegment[], level: number): Buffer[] {
  let crc = 0;
  let bytes = 0;
  for (const s of segments) {
    crc = crc32Combine(crc, s.crc, s.bytes);
    bytes += s.bytes;
  }
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(bytes % 2 ** 32, 4);
  return [gzipHeader(level), ...segments.map((s) => s.deflated), FINAL_BLOCK, trailer];
}

const headers = new Map<number, Buffer>();

/** zlib's own 10-byte gzip header for this level and platform (its XFL and OS bytes). */
function gzipHeader(level: number): Buffer {
  let header = headers.get(level);
  if (header === undefined) {
    header = zlib.gzipSync(Buffer.alloc(0), { level }).subarray(0, 10);
    headers.set(level, header);
  }
  return header;
}

// zlib.crc32 exists from Node 20.15; the package supports every Node 20.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
let crcTable: Uint32Array | undefined;

/** CRC-32 (the gzip polynomial) of `data`. */
export function crc32(data: Uint8Array): number {
  return nativeCrc32 === undefined ? softCrc32(data) : nativeCrc32(data) >>> 0;
}

/** {@link crc32} in JavaScript, one table lookup per byte. */
export function softCrc32(data: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++)
    crc = (crcTable[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function gf2Times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) if (v & 1) sum ^= matrix[i] as number;
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(matrix, matrix[n] as number);
}

/**
 * The CRC-32 of A followed by B from `crc(A)`, `crc(B)` and `length(B)`: zlib's `crc32_combine`
 * (appending `length` zero bytes to A's register by squaring the one-zero-bit operator).
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  gf2Square(even, odd); // two zero bits
  gf2Square(odd, even); // four zero bits
  let crc = crcA >>> 0;
  let length = lengthB;
  for (;;) {
    gf2Square(even, odd);
    if (length % 2 === 1) crc = gf2Times(even, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
    gf2Square(odd, even);
    if (length % 2 === 1) crc = gf2Times(odd, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
