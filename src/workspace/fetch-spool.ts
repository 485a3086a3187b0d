import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InvalidRecordError } from '../errors.js';
import { LosslessLineParser, type RawEvent } from '../mixpanel/index.js';
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

/** 20+ digits, or a negative 19-digit number: possibly beyond int64/uint64. */
const WIDE_INTEGER = /\d{20}|-\d{19}/;

/**
 * Writes the lines of one export attempt to a private temp file, with backpressure, so memory stays
 * bounded whatever the size of the day. A stream failure propagates unchanged (the client retries
 * the range); the file is removed on any failure.
 */
export async function spoolLines(
  lines: AsyncIterable<readonly string[]>,
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
    for await (const batch of lines) {
      throwIfAborted(signal, 'Fetching events');
      const text = `${batch.join('\n')}\n`;
      if (!hasWideIntegers && WIDE_INTEGER.test(text)) hasWideIntegers = true;
      count += batch.length;
      onLines(count);
      if (writeError) throw writeError;
      if (!out.write(text)) await once(out, 'drain');
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
