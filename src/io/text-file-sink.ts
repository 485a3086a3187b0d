import { once } from 'node:events';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * Output files are written under a temporary name in the target directory and renamed into place
 * only when complete, so a failed or aborted export never leaves a truncated file under the real
 * name (and never clobbers a previous good one).
 */
export async function writeViaTempFile<T>(
  finalPath: string,
  work: (tempPath: string) => Promise<T>,
): Promise<T> {
  mkdirSync(dirname(finalPath), { recursive: true });
  const temp = join(
    dirname(finalPath),
    `.${basename(finalPath)}.tmp-${process.pid}-${Date.now().toString(36)}`,
  );
  try {
    const result = await work(temp);
    renameSync(temp, finalPath);
    return result;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Characters gathered before one write: few syscalls, bounded memory. */
const BUFFER_CHARS = 64 * 1024;

/**
 * A UTF-8 text file written with backpressure, optionally gzip-compressed. Memory holds one buffer
 * of text plus the stream's own high-water mark, whatever the file's size.
 */
export class TextFileSink {
  readonly #head: Writable;
  readonly #done: Promise<void>;
  #buffer = '';
  #failed: unknown;

  constructor(path: string, gzip: boolean) {
    const file = createWriteStream(path, { highWaterMark: 1 << 20 });
    if (gzip) {
      const zip = createGzip();
      this.#head = zip;
      this.#done = pipeline(zip, file);
    } else {
      this.#head = file;
      this.#done = once(file, 'close').then(() => undefined);
    }
    // Keep a failure until the next write or end() reports it (no unhandled rejection meanwhile).
    this.#done.catch((error: unknown) => {
      this.#failed ??= error ?? new Error('write failed');
    });
    this.#head.on('error', (error) => {
      this.#failed ??= error;
    });
  }

  /** Appends text; resolves once the stream can take more. */
  async write(text: string): Promise<void> {
    this.#buffer += text;
    if (this.#buffer.length >= BUFFER_CHARS) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#failed) throw this.#failed;
    if (this.#buffer === '') return;
    const chunk = this.#buffer;
    this.#buffer = '';
    if (!this.#head.write(chunk)) await once(this.#head, 'drain');
  }

  /** Writes what is buffered and closes the file; rejects if any write failed. */
  async end(): Promise<void> {
    await this.#flush();
    this.#head.end();
    await this.#done;
    if (this.#failed) throw this.#failed;
  }

  /** Closes the file without finishing it (after a failure). */
  destroy(): void {
    this.#head.destroy();
  }
}
