import type { WriteValue } from '../backend/column-types.js';
import { InvalidArgumentError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';

/** A source of records: any Iterable or AsyncIterable (arrays, generators, streams). */
export type RecordSource<T> = Iterable<T> | AsyncIterable<T>;

/** Progress state shared between the batcher and the caller, so the caller can report the total. */
export interface BatchCounter {
  read: number;
}

const DEFAULT_BATCH = 10_000;

/**
 * Pulls records from `source`, converts each with `toRow` and yields bounded batches: memory holds
 * one batch, whatever the source's size. Reports progress after each batch and checks the signal.
 */
export async function* recordBatches<T>(
  source: RecordSource<T>,
  toRow: (record: T) => WriteValue[],
  counter: BatchCounter,
  options: { batchSize?: number; onProgress?: (rows: number) => void; signal?: AbortSignal },
): AsyncGenerator<WriteValue[][]> {
  const size = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(size) || size < 1) {
    throw new InvalidArgumentError(`batchSize must be a positive whole number (got ${size}).`);
  }
  if (
    source === null ||
    typeof source !== 'object' ||
    !(Symbol.iterator in source || Symbol.asyncIterator in source)
  ) {
    throw new InvalidArgumentError('The record source must be an Iterable or AsyncIterable of records.');
  }
  let batch: WriteValue[][] = [];
  for await (const record of source as AsyncIterable<T>) {
    batch.push(toRow(record));
    counter.read++;
    if (batch.length >= size) {
      throwIfAborted(options.signal, 'Ingestion');
      yield batch;
      batch = [];
      options.onProgress?.(counter.read);
    }
  }
  throwIfAborted(options.signal, 'Ingestion');
  if (batch.length > 0) yield batch;
  options.onProgress?.(counter.read);
}
