import type { FetchProgress } from './fetch-types.js';

/** Counts chunks and records for `onProgress`; records of chunks being written count as they are read. */
export class FetchProgressTracker {
  readonly #total: number;
  readonly #listener: ((progress: FetchProgress) => void) | undefined;
  readonly #reading = new Map<number, number>();
  #done = 0;
  #failed = 0;
  #committedRows = 0;

  constructor(chunksTotal: number, listener: ((progress: FetchProgress) => void) | undefined) {
    this.#total = chunksTotal;
    this.#listener = listener;
  }

  /** Chunk `index` has read `rows` records so far in its current attempt (0 when it ends). */
  reading(index: number, rows: number): void {
    if (rows === 0) this.#reading.delete(index);
    else this.#reading.set(index, rows);
    if (rows > 0) this.#emit('fetching');
  }

  /** A chunk was stored with `rows` records read. */
  chunkDone(rows: number): void {
    this.#done++;
    this.#committedRows += rows;
    this.#emit('fetching');
  }

  /** A chunk failed for good. */
  chunkFailed(): void {
    this.#failed++;
    this.#emit('fetching');
  }

  /** Every chunk is in; the table is being swapped in. */
  finishing(): void {
    this.#emit('finishing');
  }

  /** The fetch is complete. */
  done(): void {
    this.#emit('done');
  }

  #emit(phase: FetchProgress['phase']): void {
    if (this.#listener === undefined) return;
    let rows = this.#committedRows;
    for (const n of this.#reading.values()) rows += n;
    this.#listener({
      phase,
      chunksDone: this.#done,
      chunksFailed: this.#failed,
      chunksTotal: this.#total,
      rows,
    });
  }
}
