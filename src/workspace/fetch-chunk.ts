import { MixpanelExportFile } from '../engine/mixpanel-export-file.js';
import type { MixpanelClient } from '../mixpanel/index.js';
import { toEventRecords } from './fetch-event-transform.js';
import type { ResolvedFetchEvents } from './fetch-options.js';
import { Prefetch } from './fetch-prefetch.js';
import type { FetchProgressTracker } from './fetch-progress.js';
import { readSpooledEvents, spoolBlocks } from './fetch-spool.js';
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

/** What every chunk of one fetch shares. */
interface ChunkContext {
  readonly client: MixpanelClient;
  readonly writer: FetchTableWriter;
  readonly progress: FetchProgressTracker;
  readonly o: ResolvedFetchEvents;
  readonly signal: AbortSignal;
}

/**
 * Exports one chunk and writes it as a unit. Each attempt opens its request at once and lands or
 * buffers its events while it waits for the single writer; once its turn comes, the whole chunk
 * goes into ONE storage transaction. When the stream fails (even while still waiting), the error
 * reaches the client's `exportRange*`, which rolls nothing forward and retries the range.
 */
export function exportChunk(
  client: MixpanelClient,
  writer: FetchTableWriter,
  progress: FetchProgressTracker,
  o: ResolvedFetchEvents,
  job: ChunkJob,
  signal: AbortSignal,
): Promise<ChunkWrite> {
  const ctx: ChunkContext = { client, writer, progress, o, signal };
  return writer.acceptsExportFiles ? exportChunkViaFile(ctx, job) : exportChunkAsRecords(ctx, job);
}

function exportParams({ o, signal }: ChunkContext, job: ChunkJob) {
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
 * Waits for the writer's next turn (or for `failed`, which gives the place up at once), runs
 * `write`, then always releases the turn and clears the chunk's progress.
 */
async function writeInTurn<T>(
  { writer, progress, signal }: ChunkContext,
  job: ChunkJob,
  failed: Promise<unknown> | null,
  write: () => Promise<T>,
): Promise<T> {
  const turn = writer.reserve();
  try {
    await untilAborted(failed ? Promise.race([turn.ready, failed]) : turn.ready, signal, 'Fetching events');
    return await write();
  } finally {
    turn.release();
    progress.reading(job.index, 0);
  }
}

/**
 * The fast lane for backends that parse JSON natively (DuckDB): each attempt lands its raw lines in
 * a temp file (no JavaScript parse), then the writer loads the file in ONE transaction. Downloads
 * of parallel chunks overlap on disk, not in memory. Where the engine prepares files aside, the
 * chunk is parsed, transformed and deduplicated as soon as it has landed, while the chunk before it
 * is being written, and its turn only moves the staged rows into place. A chunk with integers wider
 * than 64 bits is loaded through the lossless JavaScript parser instead.
 */
function exportChunkViaFile(ctx: ChunkContext, job: ChunkJob): Promise<ChunkWrite> {
  const { o, writer, progress, signal } = ctx;
  return ctx.client.exportRangeBlocks(exportParams(ctx, job), async (blocks, info) => {
    job.attempts = info.attempt;
    const chunk = await spoolBlocks(blocks, signal, (n) => progress.reading(job.index, n));
    const file = new MixpanelExportFile(chunk.path, { timeInMs: o.timeInMs });
    const preparing = !chunk.hasWideIntegers && writer.preparesFiles ? writer.prepare(file) : undefined;
    // A failed preparation (a bad record) is raised in the chunk's turn, as a failed write would be:
    // the chunks before it are written first.
    preparing?.catch(() => undefined);
    try {
      return await writeInTurn(ctx, job, null, async () =>
        chunk.hasWideIntegers
          ? writer.write(toEventRecords(readSpooledEvents(chunk), o.timeInMs), job.range, (rows) =>
              progress.reading(job.index, rows),
            )
          : writer.writeFile(preparing ? await preparing : file, job.range),
      );
    } finally {
      // Releasing frees memory only: a failure there must not turn a written chunk into a failed one.
      await preparing?.then((prepared) => prepared.release()).catch(() => undefined);
      chunk.remove();
    }
  });
}

/** The record lane: events parsed losslessly in JavaScript, read ahead into a bounded buffer. */
function exportChunkAsRecords(ctx: ChunkContext, job: ChunkJob): Promise<ChunkWrite> {
  const { o, writer, progress } = ctx;
  return ctx.client.exportRange(exportParams(ctx, job), async (events, info) => {
    job.attempts = info.attempt;
    const prefetch = new Prefetch(events, PREFETCH_RECORDS);
    prefetch.start();
    try {
      // Gives up the place in line at once if the stream fails meanwhile.
      return await writeInTurn(ctx, job, prefetch.failure, () =>
        writer.write(toEventRecords(prefetch, o.timeInMs), job.range, (rows) =>
          progress.reading(job.index, rows),
        ),
      );
    } finally {
      await prefetch.close();
    }
  });
}
