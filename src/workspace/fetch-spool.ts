import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InvalidRecordError } from '../errors.js';
import { type LineBlock, LosslessLineParser, type RawEvent } from '../mixpanel/index.js';
import { throwIfAborted } from '../util/abort.js';

/** A chunk's raw export lines, landed on disk for a native JSON loader. */
export interface SpooledChunk {
  readonly path: string;
  readonly lines: number;
  /**
   * Some line holds a digit run longer than 64-bit integers can carry exactly. Such a chunk is
   * loaded through the JavaScript parser, which keeps every digit, instead of the native reader.
   */
  readonly hasWideIntegers: boolean;
  /** Removes the file (and its private directory). */
  remove(): void;
}

/**
 * Whether `bytes` holds a digit run of 20 or more, or a negative one of 19: possibly beyond
 * int64/uint64. A run that long covers a position `i` with `i % 19 === 18`, so only every 19th
 * byte is looked at, and the run around a digit found there is measured (about 1 GB/s, against
 * ~0.1 GB/s for the equivalent regular expression over the decoded text). Digit runs never cross a
 * line, and blocks hold whole lines.
 */
export function hasWideInteger(bytes: Uint8Array): boolean {
  const n = bytes.length;
  for (let i = 18; i < n; i += 19) {
    if (!isDigit(bytes[i] as number)) continue;
    let start = i;
    while (start > 0 && isDigit(bytes[start - 1] as number)) start--;
    // Shorter than 19 (the common case: times, counters): no need to find its end.
    if (start + 18 >= n || !isDigit(bytes[start + 18] as number)) continue;
    let end = i + 1;
    while (end < n && isDigit(bytes[end] as number)) end++;
    const length = end - start;
    if (length >= 20 || (length === 19 && start > 0 && bytes[start - 1] === 0x2d)) return true;
    // Every later run starts after `end`; keep the stride from there.
    i = end - 1;
  }
  return false;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/**
 * Writes the line blocks of one export attempt to a private temp file, as they come (no decoding),
 * with backpressure, so memory stays bounded whatever the size of the range. A stream failure
 * propagates unchanged (the client retries the range); the file is removed on any failure.
 */
export async function spoolBlocks(
  blocks: AsyncIterable<LineBlock>,
  signal: AbortSignal,
  onLines: (count: number) => void,
): Promise<SpooledChunk> {
  const dir = mkdtempSync(join(tmpdir(), 'mp-fetch-'));
  const path = join(dir, 'chunk.jsonl');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const out = createWriteStream(path);
  // Keep write errors (disk full, removed dir) from becoming unhandled 'error' events; they
  // surface through `drain`/`finish` waits below, or are irrelevant once we have failed anyway.
  let writeError: Error | undefined;
  out.on('error', (error) => {
    writeError = error;
  });
  let count = 0;
  let hasWideIntegers = false;
  try {
    for await (const block of blocks) {
      throwIfAborted(signal, 'Fetching events');
      if (!hasWideIntegers && hasWideInteger(block.bytes)) hasWideIntegers = true;
      count += block.lines;
      onLines(count);
      if (writeError) throw writeError;
      if (!out.write(block.bytes)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    if (writeError) throw writeError;
    return { path, lines: count, hasWideIntegers, remove };
  } catch (error) {
    out.destroy();
    await once(out, 'close').catch(() => undefined);
    remove();
    throw error;
  }
}

/** Reads a spooled chunk back as raw events with the lossless parser (the exact-digits path). */
export async function* readSpooledEvents(chunk: SpooledChunk): AsyncGenerator<RawEvent> {
  const parser = new LosslessLineParser();
  const input = createInterface({ input: createReadStream(chunk.path), crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of input) {
      lineNumber++;
      if (line === '') continue;
      const value = parser.parse(line) as RawEvent;
      if (
        typeof value?.event !== 'string' ||
        typeof value.properties !== 'object' ||
        value.properties === null
      ) {
        throw new InvalidRecordError(
          lineNumber,
          'event',
          'is not a Mixpanel event ({"event": string, "properties": object})',
        );
      }
      yield value;
    }
  } finally {
    input.close();
  }
}
