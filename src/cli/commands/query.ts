import { readFile } from 'node:fs/promises';
import type { CliIo } from '../cli-io.js';
import { defined, signalOf } from '../defined.js';
import { formatOf, type GlobalOptions, withWorkspace } from '../global-options.js';
import { FileNotFoundError, InvalidArgumentError } from '../library.js';
import {
  formatCount,
  formatDuration,
  printRowStream,
  printSummary,
  printTabular,
  printValue,
} from '../output.js';
import { readStdin } from '../prompt.js';

/** `mp query sql`. */
export interface QuerySqlOptions extends GlobalOptions {
  /** The SQL text (else `file`, else stdin when it is piped). */
  readonly sql?: string;
  /** A file holding the SQL. */
  readonly file?: string;
  /** Print only the first column of the first row. */
  readonly scalar?: boolean;
}

/** Runs SQL against the local database (read-only) and streams the result in the chosen format. */
export async function querySql(options: QuerySqlOptions, io: CliIo): Promise<void> {
  const sql = await sqlText(options, io);
  const signal = signalOf(io.signal);
  const started = Date.now();
  await withWorkspace(options, io, 'read', async (ws) => {
    if (options.scalar === true) {
      await printValue(io, formatOf(options), await ws.sqlScalar(sql, undefined, signal));
      return;
    }
    const storage = await ws.storage();
    const rows = await printRowStream(io, formatOf(options), storage.streamRows(sql, undefined, signal));
    printSummary(
      io,
      options.quiet,
      `${formatCount(rows)} ${rows === 1 ? 'row' : 'rows'} in ${formatDuration(Date.now() - started)}.`,
    );
  });
}

async function sqlText(options: QuerySqlOptions, io: CliIo): Promise<string> {
  if (options.sql !== undefined && options.file !== undefined) {
    throw new InvalidArgumentError('Give the SQL either as an argument or with --file, not both.');
  }
  let text: string | undefined = options.sql;
  if (options.file !== undefined) {
    try {
      text = await readFile(options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new FileNotFoundError(options.file, { cause: error });
      throw error;
    }
  } else if (text === undefined && io.stdinIsTTY !== true && io.stdin !== undefined) {
    text = await readStdin(io);
  }
  if (text === undefined || text.trim() === '') {
    throw new InvalidArgumentError('No SQL given: pass it as an argument, with --file FILE, or on stdin.');
  }
  return text;
}

/** `mp query segmentation`: event counts over time from Mixpanel (live). */
export interface QuerySegmentationOptions extends GlobalOptions {
  readonly event: string;
  readonly from: string;
  readonly to: string;
  readonly on?: string;
  readonly unit?: 'minute' | 'hour' | 'day' | 'month';
  readonly type?: 'general' | 'unique' | 'average';
  readonly where?: string;
  readonly limit?: number;
}

/** Prints one row per date with one column per segment (the event itself without `--on`). */
export async function querySegmentation(options: QuerySegmentationOptions, io: CliIo): Promise<void> {
  const result = await withWorkspace(options, io, 'read', (ws) =>
    ws.segmentation({
      event: options.event,
      fromDate: options.from,
      toDate: options.to,
      ...defined({
        on: options.on,
        unit: options.unit,
        type: options.type,
        where: options.where,
        limit: options.limit,
      }),
      ...signalOf(io.signal),
    }),
  );
  const segments = Object.keys(result.data.values);
  await printTabular(io, formatOf(options), {
    columns: ['date', ...segments],
    rows: result.data.series.map((date) => [
      date,
      ...segments.map((s) => result.data.values[s]?.[date] ?? 0),
    ]),
  });
}

/** `mp query funnel`: a saved funnel's conversion from Mixpanel (live). */
export interface QueryFunnelOptions extends GlobalOptions {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly unit?: 'day' | 'week' | 'month';
  readonly interval?: number;
  readonly length?: number;
  readonly lengthUnit?: 'second' | 'minute' | 'hour' | 'day';
  readonly on?: string;
  readonly where?: string;
  readonly limit?: number;
}

/** Prints one row per step: users reaching it over the whole range and the conversion rates. */
export async function queryFunnel(options: QueryFunnelOptions, io: CliIo): Promise<void> {
  const result = await withWorkspace(options, io, 'read', (ws) =>
    ws.funnel({
      funnelId: options.id,
      fromDate: options.from,
      toDate: options.to,
      ...defined({
        unit: options.unit,
        interval: options.interval,
        length: options.length,
        lengthUnit: options.lengthUnit,
        on: options.on,
        where: options.where,
        limit: options.limit,
      }),
      ...signalOf(io.signal),
    }),
  );
  // Each date bucket counts the users who entered the funnel that day: the range total is the sum.
  const totals: { event: string; count: number }[] = [];
  for (const bucket of Object.values(result.data)) {
    bucket.steps.forEach((step, i) => {
      const total = totals[i] ?? { event: step.event, count: 0 };
      total.count += step.count;
      totals[i] = total;
    });
  }
  const first = totals[0]?.count ?? 0;
  await printTabular(io, formatOf(options), {
    columns: ['step', 'event', 'count', 'stepConversion', 'overallConversion'],
    rows: totals.map((t, i) => [
      i + 1,
      t.event,
      t.count,
      ratio(t.count, i === 0 ? t.count : (totals[i - 1]?.count ?? 0)),
      ratio(t.count, first),
    ]),
  });
}

/** `mp query retention`: cohort retention from Mixpanel (live). */
export interface QueryRetentionOptions extends GlobalOptions {
  readonly from: string;
  readonly to: string;
  readonly bornEvent?: string;
  readonly event?: string;
  readonly bornWhere?: string;
  readonly where?: string;
  readonly type?: 'birth' | 'compounded';
  readonly unit?: 'day' | 'week' | 'month';
  readonly interval?: number;
  readonly intervalCount?: number;
  readonly on?: string;
  readonly limit?: number;
}

/** Prints one row per cohort: its size, then the users retained in each interval (`d0`, `d1`...). */
export async function queryRetention(options: QueryRetentionOptions, io: CliIo): Promise<void> {
  const result = await withWorkspace(options, io, 'read', (ws) =>
    ws.retention({
      fromDate: options.from,
      toDate: options.to,
      ...defined({
        bornEvent: options.bornEvent,
        event: options.event,
        bornWhere: options.bornWhere,
        where: options.where,
        retentionType: options.type,
        unit: options.unit,
        interval: options.interval,
        intervalCount: options.intervalCount,
        on: options.on,
        limit: options.limit,
      }),
      ...signalOf(io.signal),
    }),
  );
  const cohorts = Object.keys(result).sort();
  const width = Math.max(0, ...cohorts.map((c) => result[c]?.counts.length ?? 0));
  const prefix = (options.unit ?? 'day').charAt(0);
  await printTabular(io, formatOf(options), {
    columns: ['cohort', 'size', ...Array.from({ length: width }, (_, i) => `${prefix}${i}`)],
    rows: cohorts.map((c) => {
      const row = result[c]!;
      return [c, row.first, ...Array.from({ length: width }, (_, i) => row.counts[i] ?? null)];
    }),
  });
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}
