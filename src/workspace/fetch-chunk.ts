import { MixpanelExportFile } from '../engine/mixpanel-export-file.js';
import type { MixpanelClient } from '../mixpanel/index.js';
import { toEventRecords } from './fetch-event-transform.js';
import type { ResolvedFetchEvents } from './fetch-options.js';
import { Prefetch } from './fetch-prefetch.js';
import type { FetchProgressTracker } from './fetch-progress.js';
import { readSpooledEvents, spoolLines } from './fetch-spool.js';
import type { ChunkRange, ChunkWrite, FetchTableWriter } from './fetch-table-writer.js';
import { untilAborted } from './workspace-abort.js';

/** Records a chunk waiting for its write turn may hold in memory (its request is already open). */
const PREFETCH_RECORDS = 20_000;

/** One chunk of an events fetch: which days, and where its attempts and progress are reported. */
export interface ChunkJob {
  readonly index: number;
  readonly range: ChunkRange;
  /** Set to the number of the attempt in progress (1-based), also when the chunk finally fails. */
  attempts: number;
}

/**
 * Exports one chunk and writes it as a unit. Each attempt opens its request at once and reads
 * ahead into a bounded buffer while it waits for the single writer; once its turn comes, the whole
 * chunk goes into ONE storage transaction. When the stream fails (even while still waiting), the
 * error reaches the client's `exportRange`, which rolls nothing forward and retries the range.
 */
export function exportChunk(
  client: MixpanelClient,
  writer: FetchTableWriter,
  progress: FetchProgressTracker,
  o: ResolvedFetchEvents,
  job: ChunkJob,
  signal: AbortSignal,
): Promise<ChunkWrite> {
  return writer.acceptsExportFiles
    ? exportChunkViaFile(client, writer, progress, o, job, signal)
    : exportChunkAsRecords(client, writer, progress, o, job, signal);
}

function exportParams(o: ResolvedFetchEvents, job: ChunkJob, signal: AbortSignal) {
  return {
    fromDate: job.range.fromDate,
    toDate: job.range.toDate,
    ...(o.events === undefined ? {} : { events: o.events }),
    ...(o.where === undefined ? {} : { where: o.where }),
    ...(o.limit === undefined ? {} : { limit: o.limit }),
    timeInMs: o.timeInMs,
    signal,
  };
}

/**
 * The fast lane for backends that parse JSON natively (DuckDB): each attempt lands its raw lines in
 * a temp file (no JavaScript parse), then waits for the single writer, which loads the file in ONE
 * transaction. Downloads of parallel chunks overlap on disk, not in memory. A chunk with integers
 * wider than 64 bits is loaded through the lossless JavaScript parser instead.
 */
function exportChunkViaFile(
  client: MixpanelClient,
  writer: FetchTableWriter,
  progress: FetchProgressTracker,
  o: ResolvedFetchEvents,
  job: ChunkJob,
  signal: AbortSignal,
): Promise<ChunkWrite> {
  return client.exportRangeLines(exportParams(o, job, signal), async (lines, info) => {
    job.attempts = info.attempt;
    const chunk = await spoolLines(lines, signal, (n) => progress.reading(job.index, n));
    const turn = writer.reserve();
    try {
      await untilAborted(turn.ready, signal, 'Fetching events');
      if (chunk.hasWideIntegers) {
        const records = toEventRecords(readSpooledEvents(chunk), o.timeInMs);
        return await writer.write(records, job.range, (rows) => progress.reading(job.index, rows));
      }
      return await writer.writeFile(new MixpanelExportFile(chunk.path, { timeInMs: o.timeInMs }), job.range);
    } finally {
      turn.release();
      progress.reading(job.index, 0);
      chunk.remove();
    }
  });
}

function exportChunkAsRecords(
  client: MixpanelClient,
  writer: FetchTableWriter,
  progress: FetchProgressTracker,
  o: ResolvedFetchEvents,
  job: ChunkJob,
  signal: AbortSignal,
): Promise<ChunkWrite> {
  return client.exportRange(exportParams(o, job, signal), async (events, info) => {
    job.attempts = info.attempt;
    const prefetch = new Prefetch(events, PREFETCH_RECORDS);
    prefetch.start();
    const turn = writer.reserve();
    try {
      // Give up the place in line at once if the stream fails or the fetch is aborted meanwhile.
      await untilAborted(Promise.race([turn.ready, prefetch.failure]), signal, 'Fetching events');
      const records = toEventRecords(prefetch, o.timeInMs);
      return await writer.write(records, job.range, (rows) => progress.reading(job.index, rows));
    } finally {
      turn.release();
      progress.reading(job.index, 0);
      await prefetch.close();
    }
  });
}
