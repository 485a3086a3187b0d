import type { StorageEngine } from '../engine/storage-engine.js';
import { ApiError, InvalidArgumentError, RateLimitError, TableNotFoundError } from '../errors.js';
import { EXPORT_PATH, type MixpanelClient, splitRange } from '../mixpanel/index.js';
import { type ChunkJob, exportChunk } from './fetch-chunk.js';
import { type ResolvedFetchEvents, temporaryTableName } from './fetch-options.js';
import { FetchProgressTracker } from './fetch-progress.js';
import { type ChunkRange, type ChunkWrite, FetchTableWriter } from './fetch-table-writer.js';
import type { FetchChunkResult, FetchEventsOptions, FetchResult } from './fetch-types.js';
import { linkedAbort } from './workspace-abort.js';

/** Everything an events fetch needs besides its options. */
export interface FetchEventsContext {
  readonly storage: StorageEngine;
  readonly client: MixpanelClient;
  /** Today's date for the project (`YYYY-MM-DD`): a later `toDate` is clamped to it. */
  readonly today: string | undefined;
  /** Whether the target table exists (checked by the caller before any request). */
  readonly tableExists: boolean;
}

/**
 * Fetches `fromDate..toDate` chunk by chunk into a table (see `Workspace.fetchEvents` for the
 * contract). Chunks are requested by up to `workers` tasks at once and written by one writer.
 *
 * Failure policy:
 * - A chunk whose request still fails after the client's retries (5xx, broken streams, a rate
 *   limit that would wait too long) is reported in `chunks` with `status: 'failed'`; the others are
 *   stored. In create and append mode the result is returned (`failedChunks > 0`); if no chunk at
 *   all succeeded, the first chunk's error is thrown instead. In replace mode nothing is swapped:
 *   the temporary table is dropped, the old table stays untouched, and an `ApiError` listing the
 *   failed chunks is thrown.
 * - Anything else stops the whole fetch and is rethrown: authentication and permission errors,
 *   other non-retryable API errors (a bad `where`), aborts, and storage errors. Chunks already
 *   committed stay in create and append mode; in replace mode the temporary table is dropped.
 */
export async function fetchEventChunks(
  ctx: FetchEventsContext,
  o: ResolvedFetchEvents,
  options: Pick<FetchEventsOptions, 'batchSize' | 'onProgress' | 'signal'>,
): Promise<FetchResult> {
  const started = performance.now();
  const toDate = ctx.today !== undefined && o.toDate > ctx.today ? ctx.today : o.toDate;
  if (o.fromDate > toDate) {
    throw new InvalidArgumentError(
      `fromDate (${o.fromDate}) is after today (${toDate}); there is no data yet.`,
      {
        details: { fromDate: o.fromDate, toDate: o.toDate, today: toDate },
      },
    );
  }
  const ranges = splitRange(o.fromDate, toDate, o.chunkDays);
  const target = o.mode === 'replace' ? temporaryTableName(o.name) : o.name;
  const abort = linkedAbort(options.signal);
  const writer = new FetchTableWriter(ctx.storage, target, {
    exists: o.mode === 'append' && ctx.tableExists,
    metadata: {
      type: 'events',
      filters: {
        events: o.events ?? null,
        where: o.where ?? null,
        limit: o.limit ?? null,
        chunkDays: o.chunkDays,
        timeInMs: o.timeInMs,
      },
      source: ctx.client.describe().baseUrls.export,
    },
    replaceChunkDays: o.mode !== 'append',
    fetchedAt: new Date(),
    signal: abort.signal,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
  });
  const progress = new FetchProgressTracker(ranges.length, options.onProgress);
  const results: FetchChunkResult[] = new Array(ranges.length);
  const writes: (ChunkWrite | undefined)[] = new Array(ranges.length);
  const failures: unknown[] = [];
  let fatal: { error: unknown } | undefined;

  const fetchChunk = async (index: number): Promise<void> => {
    const job: ChunkJob = { index, range: ranges[index] as ChunkRange, attempts: 0 };
    try {
      const write = await exportChunk(ctx.client, writer, progress, o, job, abort.signal);
      writes[index] = write;
      results[index] = { ...job.range, rows: write.inserted, attempts: job.attempts, status: 'ok' };
      progress.chunkDone(write.inserted + write.duplicates);
    } catch (error) {
      if (fatal !== undefined) return; // aborted because another chunk failed fatally
      if (!isChunkFailure(error)) {
        fatal = { error };
        abort.abort();
        return;
      }
      failures.push(error);
      results[index] = {
        ...job.range,
        rows: 0,
        attempts: Math.max(job.attempts, 1),
        status: 'failed',
        error: messageOf(error),
      };
      progress.chunkFailed();
    }
  };

  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (fatal === undefined && next < ranges.length) await fetchChunk(next++);
    };
    await Promise.all(Array.from({ length: Math.min(o.workers, ranges.length) }, worker));
    if (fatal !== undefined) throw fatal.error;
    const failed = results.filter((r) => r.status === 'failed');
    if (o.mode === 'replace' && failed.length > 0) throw replaceFailed(o.name, failed, failures[0]);
    if (failed.length === ranges.length) throw failures[0];

    let replacedRows = 0;
    if (o.mode === 'replace') {
      progress.finishing();
      replacedRows = ctx.tableExists ? await countRows(ctx.storage, o.name) : 0;
      await ctx.storage.renameTable(target, o.name, { replace: true });
    }
    progress.done();
    const sum = (pick: (w: ChunkWrite) => number) => writes.reduce((n, w) => n + (w ? pick(w) : 0), 0);
    return {
      table: o.name,
      rowsStored: sum((w) => w.inserted),
      duplicatesSkipped: sum((w) => w.duplicates),
      replacedRows: o.mode === 'replace' ? replacedRows : sum((w) => w.replaced),
      fromDate: o.fromDate,
      toDate,
      durationMs: Math.round(performance.now() - started),
      chunks: results,
      failedChunks: failed.length,
    };
  } catch (error) {
    if (o.mode === 'replace' && writer.created) {
      // Best effort: the old table is untouched either way; a leftover temporary table is only clutter.
      await ctx.storage.dropTable(target).catch(() => undefined);
    }
    throw error;
  } finally {
    abort.dispose();
  }
}

/**
 * Checks, before any request, that an existing table can take an events append: it must be an
 * events table, fetched at the same `time` precision (dedup compares times at one precision).
 * A table without metadata (created by hand) is left for the engine to check at the first write.
 */
export async function checkAppendTarget(
  storage: StorageEngine,
  table: string,
  timeInMs: boolean,
): Promise<void> {
  let metadata: Awaited<ReturnType<StorageEngine['getMetadata']>>;
  try {
    metadata = await storage.getMetadata(table);
  } catch (error) {
    if (error instanceof TableNotFoundError) return;
    throw error;
  }
  if (metadata.type !== 'events') {
    throw new InvalidArgumentError(`Cannot append events to '${table}': it is a ${metadata.type} table.`, {
      details: { table, type: metadata.type },
    });
  }
  const stored = metadata.filters?.timeInMs;
  if (typeof stored === 'boolean' && stored !== timeInMs) {
    throw new InvalidArgumentError(
      `Cannot append to '${table}': it holds times in ${stored ? 'milliseconds' : 'seconds'}; fetch with timeInMs: ${stored}.`,
      { details: { table, timeInMs: stored } },
    );
  }
}

/**
 * Failures that concern one chunk only: the request kept failing after the client's retries (server
 * errors, broken streams), or a rate limit that would wait too long. Everything else (credentials,
 * permissions, bad parameters, aborts, storage errors) would fail every chunk or is the caller's.
 */
function isChunkFailure(error: unknown): boolean {
  if (error instanceof RateLimitError) return true;
  return error instanceof ApiError && error.retryable;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function replaceFailed(name: string, failed: readonly FetchChunkResult[], cause: unknown): ApiError {
  const list = failed.map((c) => (c.fromDate === c.toDate ? c.fromDate : `${c.fromDate}..${c.toDate}`));
  return new ApiError(
    `Replacing table '${name}' failed: ${failed.length} chunk(s) could not be fetched (${list.join(', ')}). ` +
      'The existing table was left unchanged.',
    { endpoint: EXPORT_PATH, retryable: true },
    {
      cause,
      details: {
        table: name,
        failedChunks: failed.map((c) => ({ fromDate: c.fromDate, toDate: c.toDate, error: c.error })),
      },
    },
  );
}

async function countRows(storage: StorageEngine, table: string): Promise<number> {
  return Number(
    await storage.executeScalar(`SELECT count(*) FROM ${storage.dialect.quoteIdentifier(table)}`),
  );
}
