import { createReadStream, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { BackendFileIo } from '../backend/backend.js';
import type { ResultSet } from '../backend/result-set.js';
import { FileNotFoundError, InvalidRecordError } from '../errors.js';
import { LosslessLineParser } from '../mixpanel/lossless-json-line.js';
import { readNdjsonLines } from '../mixpanel/ndjson-reader.js';
import { throwIfAborted } from '../util/abort.js';
import { type CsvRecord, parseCsv } from './csv-text.js';

/**
 * Streaming readers for the three file formats. Each holds one chunk (or batch) in memory; gzip is
 * recognised by its magic bytes, whatever the file is called. Breaking out of a reader closes the
 * file (the `finally` of the generators and `for await` over the stream both do).
 */

/** Throws FileNotFoundError unless `path` exists. */
export function assertFileExists(path: string): void {
  if (!existsSync(path)) throw new FileNotFoundError(path);
}

/** Whether the file starts with gzip's magic bytes. */
export async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** The file's bytes, gunzipped when it is gzip. */
export async function* readFileBytes(path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  assertFileExists(path);
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream: Readable = (await isGzip(path)) ? file.pipe(createGunzip()) : file;
  file.on('error', (error) => stream.destroy(error));
  try {
    for await (const chunk of stream) {
      throwIfAborted(signal, 'Reading the file');
      yield chunk as Uint8Array;
    }
  } finally {
    stream.destroy();
    file.destroy();
  }
}

/** One parsed JSON line and its 1-based line number. */
export interface JsonLine {
  readonly value: unknown;
  readonly line: number;
}

/** JSON lines, parsed losslessly (integers beyond 2^53 as bigint), in batches. */
export async function* readJsonLines(path: string, signal?: AbortSignal): AsyncGenerator<JsonLine[]> {
  const parser = new LosslessLineParser();
  for await (const lines of readNdjsonLines(readFileBytes(path, signal))) {
    yield lines.map(({ text, lineNumber }) => {
      try {
        return { value: parser.parse(text), line: lineNumber };
      } catch (error) {
        throw new InvalidRecordError(lineNumber, 'line', 'is not valid JSON', { cause: error });
      }
    });
  }
}

async function* decodeUtf8(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of bytes) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/** A CSV file's header and its records in batches. */
export async function readCsv(
  path: string,
  signal?: AbortSignal,
): Promise<{ header: string[]; records: AsyncGenerator<CsvRecord[]> }> {
  const batches = parseCsv(decodeUtf8(readFileBytes(path, signal)));
  let first: CsvRecord[] = [];
  for (;;) {
    const next = await batches.next();
    if (next.done) break;
    first = next.value;
    if (first.length > 0) break;
  }
  const headerRecord = first.shift();
  const header = (headerRecord?.fields ?? []).map((f) => f ?? '');
  async function* records(): AsyncGenerator<CsvRecord[]> {
    try {
      if (first.length > 0) yield first;
      yield* batches;
    } finally {
      await batches.return(undefined);
    }
  }
  return { header, records: records() };
}

/** A Parquet file's rows through a native reader, in batches. */
export function readParquet(
  fileIo: BackendFileIo,
  path: string,
  signal?: AbortSignal,
): AsyncIterable<ResultSet> {
  assertFileExists(path);
  return fileIo.readParquet(path, signal === undefined ? {} : { signal });
}
