import type { MixpanelExportFile } from '../engine/mixpanel-export-file.js';
import type { PreparedExportFile } from '../engine/prepared-export-file.js';
import type { EventRecord, TableMetadata } from '../engine/records.js';
import type { StorageEngine } from '../engine/storage-engine.js';

/** A day range as Mixpanel's export counts it (inclusive `YYYY-MM-DD`). */
export interface ChunkRange {
  readonly fromDate: string;
  readonly toDate: string;
}

/** What one chunk's write did. */
export interface ChunkWrite {
  readonly inserted: number;
  readonly duplicates: number;
  readonly replaced: number;
}

/** How {@link FetchTableWriter} writes. */
export interface FetchTableWriterOptions {
  /** Whether `table` already exists (append); otherwise the first chunk written creates it. */
  readonly exists: boolean;
  /** Metadata for the table when this writer creates it. */
  readonly metadata: TableMetadata;
  /**
   * Delete the chunk's UTC days before inserting, in the same transaction (a re-fetched day then
   * replaces its stored copy as a unit). Off for appends, which report already-stored events as
   * duplicates instead.
   */
  readonly replaceChunkDays: boolean;
  readonly fetchedAt: Date;
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

const DAY_MS = 86_400_000;

/**
 * The single writer of a fetch. Chunks arrive from several concurrent requests but are written one
 * at a time, each in ONE storage transaction, so a chunk whose stream fails rolls back completely
 * and is fetched again with no duplicates and no partial day. The first chunk written creates the
 * table (with its metadata), so a fetch that never receives data leaves no table behind.
 */
export class FetchTableWriter {
  readonly #storage: StorageEngine;
  readonly #table: string;
  readonly #options: FetchTableWriterOptions;
  #exists: boolean;
  #tail: Promise<void> = Promise.resolve();
  #prepareTail: Promise<void> = Promise.resolve();

  constructor(storage: StorageEngine, table: string, options: FetchTableWriterOptions) {
    this.#storage = storage;
    this.#table = table;
    this.#options = options;
    this.#exists = options.exists;
  }

  /** True when chunks can be handed over as Mixpanel export files (native JSON loading). */
  get acceptsExportFiles(): boolean {
    return this.#storage.supportsMixpanelExportFiles;
  }

  /**
   * True when a chunk's file can be prepared before its write turn (`prepare`): parsed and
   * deduplicated beside the write of the chunk before it.
   */
  get preparesFiles(): boolean {
    return this.#storage.supportsPreparedExportFiles;
  }

  /**
   * Prepares a chunk's file for {@link writeFile}; no write turn needed. Release it after.
   * Preparations run one at a time: one chunk parsed beside the one being written keeps both cores
   * busy, and more would only compete for them (and for the libuv threads that also gunzip and
   * spool the downloads).
   */
  prepare(file: MixpanelExportFile): Promise<PreparedExportFile> {
    const { signal } = this.#options;
    const prepared = this.#prepareTail.then(() =>
      this.#storage.prepareExportFile(file, signal === undefined ? {} : { signal }),
    );
    this.#prepareTail = prepared.then(
      () => undefined,
      () => undefined,
    );
    return prepared;
  }

  /** True once the table exists (it existed, or a chunk created it). */
  get created(): boolean {
    return this.#exists;
  }

  /**
   * Reserves the next write turn. `ready` resolves when every earlier turn was released; call
   * `release` when done with the turn, or to give up a turn not yet reached (it is then skipped).
   */
  reserve(): { ready: Promise<void>; release: () => void } {
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.#tail;
    this.#tail = this.#tail.then(() => done);
    return { ready, release };
  }

  /** Writes one chunk from a spooled Mixpanel export file (call only while holding a turn). */
  writeFile(file: MixpanelExportFile | PreparedExportFile, chunk: ChunkRange): Promise<ChunkWrite> {
    return this.write(file, chunk, () => {});
  }

  /**
   * Writes one chunk's records (call only while holding a turn). `onRead` receives the number of
   * records read so far from `records`.
   */
  async write(
    records: AsyncIterable<EventRecord> | MixpanelExportFile | PreparedExportFile,
    chunk: ChunkRange,
    onRead: (rows: number) => void,
  ): Promise<ChunkWrite> {
    // The engine reports the records read after every batch and once at the end: the last report
    // is the total, which tells duplicates apart from stored rows on a create.
    let read = 0;
    const ingest = {
      onProgress: (rows: number) => {
        read = rows;
        onRead(rows);
      },
      ...(this.#options.batchSize === undefined ? {} : { batchSize: this.#options.batchSize }),
      ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal }),
    };
    if (!this.#exists) {
      const metadata: TableMetadata = {
        ...this.#options.metadata,
        fromDate: chunk.fromDate,
        toDate: chunk.toDate,
        fetchedAt: this.#options.fetchedAt,
      };
      const stored = await this.#storage.createEventsTable(this.#table, records, metadata, ingest);
      this.#exists = true;
      return { inserted: stored, duplicates: read - stored, replaced: 0 };
    }
    const result = await this.#storage.appendEventsTable(this.#table, records, {
      ...ingest,
      fromDate: chunk.fromDate,
      toDate: chunk.toDate,
      fetchedAt: this.#options.fetchedAt,
      ...(this.#options.replaceChunkDays ? { replaceRange: utcRange(chunk) } : {}),
    });
    return { inserted: result.inserted, duplicates: result.duplicates, replaced: result.replaced };
  }
}

/** The chunk's days as a half-open UTC interval `[first day 00:00, day after the last 00:00)`. */
export function utcRange(chunk: ChunkRange): { from: Date; to: Date } {
  const from = Date.parse(`${chunk.fromDate}T00:00:00Z`);
  const to = Date.parse(`${chunk.toDate}T00:00:00Z`) + DAY_MS;
  return { from: new Date(from), to: new Date(to) };
}
