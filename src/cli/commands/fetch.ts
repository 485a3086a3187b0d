import { type CliIo, write } from '../cli-io.js';
import { signalOf } from '../defined.js';
import { CliExit, EXIT_CODES } from '../exit-codes.js';
import { formatOf, type GlobalOptions, withWorkspace } from '../global-options.js';
import { InvalidArgumentError, stringifyJson } from '../library.js';
import { createProgress } from '../output/progress.js';
import { formatCount, formatDuration, printRecord, printSummary, stderrPaint } from '../output.js';

/** `mp fetch events`. */
export interface FetchEventsCommandOptions extends GlobalOptions {
  /** First day, `YYYY-MM-DD`. */
  readonly from: string;
  /** Last day, inclusive. Default: today (UTC); the library clamps a future day to today. */
  readonly to?: string;
  /** Table name. Default `events`. */
  readonly name?: string;
  /** Only these event names. */
  readonly events?: readonly string[];
  readonly where?: string;
  readonly limit?: number;
  readonly append?: boolean;
  readonly replace?: boolean;
  readonly parallel?: boolean;
  /** Chunks in flight; implies `parallel`. */
  readonly workers?: number;
  readonly chunkDays?: number;
  readonly batchSize?: number;
  /** Write the events to stdout as JSONL instead of storing them (no database, no lock). */
  readonly stdout?: boolean;
  /** With `stdout`: Mixpanel's own `{event, properties}` lines instead of event records. */
  readonly raw?: boolean;
}

/** `mp fetch profiles`. */
export interface FetchProfilesCommandOptions extends GlobalOptions {
  /** Table name. Default `profiles`. */
  readonly name?: string;
  readonly where?: string;
  readonly cohort?: string;
  readonly outputProperties?: readonly string[];
  readonly distinctIds?: readonly string[];
  readonly groupId?: string;
  readonly append?: boolean;
  readonly replace?: boolean;
  readonly batchSize?: number;
  readonly stdout?: boolean;
  readonly raw?: boolean;
}

/** Fetches events into a table, or streams them to stdout with `--stdout`. */
export async function fetchEvents(options: FetchEventsCommandOptions, io: CliIo): Promise<void> {
  checkFetchFlags(options);
  const toDate = options.to ?? new Date().toISOString().slice(0, 10);
  const filters = {
    fromDate: options.from,
    toDate,
    ...(options.events === undefined ? {} : { events: options.events }),
    ...(options.where === undefined ? {} : { where: options.where }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.chunkDays === undefined ? {} : { chunkDays: options.chunkDays }),
    ...signalOf(io.signal),
  };
  if (options.stdout === true) {
    await withWorkspace(options, io, 'read', async (ws) => {
      const started = Date.now();
      const count = await writeJsonLines(io, ws.streamEvents({ ...filters, raw: options.raw === true }));
      printSummary(
        io,
        options.quiet,
        `Streamed ${formatCount(count)} events in ${formatDuration(Date.now() - started)}.`,
      );
    });
    return;
  }
  const progress = createProgress(io, options, 'events');
  const result = await withWorkspace(options, io, 'write', async (ws) => {
    try {
      return await ws.fetchEvents({
        ...filters,
        ...(options.name === undefined ? {} : { name: options.name }),
        append: options.append === true,
        replace: options.replace === true,
        parallel: options.parallel === true || options.workers !== undefined,
        ...(options.workers === undefined ? {} : { workers: options.workers }),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        onProgress: (event) => progress.update(event),
      });
    } finally {
      progress.stop();
    }
  });
  await printRecord(io, formatOf(options), {
    table: result.table,
    rowsStored: result.rowsStored,
    duplicatesSkipped: result.duplicatesSkipped,
    replacedRows: result.replacedRows,
    fromDate: result.fromDate,
    toDate: result.toDate,
    chunks: result.chunks.length,
    failedChunks: result.failedChunks,
    durationMs: result.durationMs,
  });
  const skipped =
    result.duplicatesSkipped > 0 ? `; ${formatCount(result.duplicatesSkipped)} duplicates skipped` : '';
  printSummary(
    io,
    options.quiet,
    `Stored ${formatCount(result.rowsStored)} events in '${result.table}' ` +
      `(${result.fromDate} to ${result.toDate}${skipped}) in ${formatDuration(result.durationMs)}.`,
  );
  if (result.failedChunks > 0) {
    const paint = stderrPaint(io);
    for (const chunk of result.chunks.filter((c) => c.status === 'failed')) {
      io.stderr.write(
        `${paint('red', 'Failed:')} ${chunk.fromDate} to ${chunk.toDate} after ${chunk.attempts} attempts: ${chunk.error ?? 'unknown error'}\n`,
      );
    }
    io.stderr.write(
      `${paint('yellow', 'Hint:')} those days are missing from '${result.table}'; fetch them again with --append and their dates.\n`,
    );
    throw new CliExit(EXIT_CODES.general, `${result.failedChunks} chunks failed`);
  }
}

/** Fetches profiles into a table, or streams them to stdout with `--stdout`. */
export async function fetchProfiles(options: FetchProfilesCommandOptions, io: CliIo): Promise<void> {
  checkFetchFlags(options);
  const filters = {
    ...(options.where === undefined ? {} : { where: options.where }),
    ...(options.cohort === undefined ? {} : { cohortId: options.cohort }),
    ...(options.outputProperties === undefined ? {} : { outputProperties: options.outputProperties }),
    ...(options.distinctIds === undefined ? {} : { distinctIds: options.distinctIds }),
    ...(options.groupId === undefined ? {} : { groupId: options.groupId }),
    ...signalOf(io.signal),
  };
  if (options.stdout === true) {
    await withWorkspace(options, io, 'read', async (ws) => {
      const started = Date.now();
      const count = await writeJsonLines(io, ws.streamProfiles({ ...filters, raw: options.raw === true }));
      printSummary(
        io,
        options.quiet,
        `Streamed ${formatCount(count)} profiles in ${formatDuration(Date.now() - started)}.`,
      );
    });
    return;
  }
  const progress = createProgress(io, options, 'profiles');
  const result = await withWorkspace(options, io, 'write', async (ws) => {
    try {
      return await ws.fetchProfiles({
        ...filters,
        ...(options.name === undefined ? {} : { name: options.name }),
        append: options.append === true,
        replace: options.replace === true,
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        onProgress: (event) => progress.update(event),
      });
    } finally {
      progress.stop();
    }
  });
  await printRecord(io, formatOf(options), { ...result });
  const updated = result.rowsUpdated > 0 ? `; ${formatCount(result.rowsUpdated)} updated` : '';
  printSummary(
    io,
    options.quiet,
    `Stored ${formatCount(result.rowsStored)} profiles in '${result.table}'${updated} in ${formatDuration(result.durationMs)}.`,
  );
}

/** Flag combinations commander cannot express; also checked here so direct calls get them too. */
function checkFetchFlags(options: {
  append?: boolean;
  replace?: boolean;
  stdout?: boolean;
  raw?: boolean;
  name?: string;
}): void {
  if (options.append === true && options.replace === true) {
    throw new InvalidArgumentError('--append and --replace cannot be combined: choose one.');
  }
  if (options.raw === true && options.stdout !== true) {
    throw new InvalidArgumentError('--raw only applies to --stdout (raw records are not stored).');
  }
  if (
    options.stdout === true &&
    (options.append === true || options.replace === true || options.name !== undefined)
  ) {
    throw new InvalidArgumentError('--stdout writes no table: drop --name, --append and --replace.');
  }
}

/** Bytes gathered before one write to stdout: fewer syscalls, bounded memory. */
const LINE_BUFFER_BYTES = 64 * 1024;

/**
 * Writes records as JSON lines with backpressure. Integers beyond 2^53 keep their exact digits as
 * bare JSON numbers, as in Mixpanel's own export (a lossless JSON reader gets them back intact).
 */
async function writeJsonLines(io: CliIo, records: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  let buffer = '';
  for await (const record of records) {
    buffer += `${stringifyJson(record)}\n`;
    count++;
    if (buffer.length >= LINE_BUFFER_BYTES) {
      await write(io.stdout, buffer);
      buffer = '';
    }
  }
  if (buffer !== '') await write(io.stdout, buffer);
  return count;
}
