import type { CliIo } from '../cli-io.js';
import { defined, signalOf } from '../defined.js';
import { CliExit, EXIT_CODES } from '../exit-codes.js';
import { formatOf, type GlobalOptions, withWorkspace } from '../global-options.js';
import { InvalidArgumentError } from '../library.js';
import { formatCount, printData, printRecord, printSummary } from '../output.js';
import { confirm } from '../prompt.js';

// ---- live: Mixpanel's discovery endpoints (no database, never a lock) ----------------------------

/** Options of the live `mp inspect` commands that take a limit. */
export interface LiveLimitOptions extends GlobalOptions {
  readonly limit?: number;
}

/** `mp inspect events`: event names seen in the project. */
export async function inspectEvents(options: LiveLimitOptions, io: CliIo): Promise<void> {
  const names = await withWorkspace(options, io, 'read', (ws) =>
    ws.events({ ...defined({ limit: options.limit }), ...signalOf(io.signal) }),
  );
  await printData(
    io,
    formatOf(options),
    names.map((event) => ({ event })),
  );
}

/** `mp inspect top-events`: today's most frequent events. */
export async function inspectTopEvents(
  options: LiveLimitOptions & { readonly type?: 'general' | 'unique' | 'average' },
  io: CliIo,
): Promise<void> {
  const result = await withWorkspace(options, io, 'read', (ws) =>
    ws.topEvents({ ...defined({ limit: options.limit, type: options.type }), ...signalOf(io.signal) }),
  );
  await printData(io, formatOf(options), result.events);
}

/** `mp inspect properties -e EVENT`: the event's most used property names. */
export async function inspectProperties(
  options: LiveLimitOptions & { readonly event: string },
  io: CliIo,
): Promise<void> {
  const properties = await withWorkspace(options, io, 'read', (ws) =>
    ws.properties({ event: options.event, ...defined({ limit: options.limit }), ...signalOf(io.signal) }),
  );
  await printData(io, formatOf(options), properties);
}

/** `mp inspect values -p NAME [-e EVENT]`: sample values of a property. */
export async function inspectValues(
  options: LiveLimitOptions & { readonly property: string; readonly event?: string },
  io: CliIo,
): Promise<void> {
  const values = await withWorkspace(options, io, 'read', (ws) =>
    ws.propertyValues({
      name: options.property,
      ...defined({ event: options.event, limit: options.limit }),
      ...signalOf(io.signal),
    }),
  );
  await printData(
    io,
    formatOf(options),
    values.map((value) => ({ value })),
  );
}

/** `mp inspect funnels`: saved funnels (id and name, for `mp query funnel --id`). */
export async function inspectFunnels(options: GlobalOptions, io: CliIo): Promise<void> {
  const funnels = await withWorkspace(options, io, 'read', (ws) => ws.funnels(signalOf(io.signal)));
  await printData(io, formatOf(options), funnels);
}

/** `mp inspect cohorts`: saved cohorts (for `mp fetch profiles --cohort`). */
export async function inspectCohorts(options: GlobalOptions, io: CliIo): Promise<void> {
  const cohorts = await withWorkspace(options, io, 'read', (ws) => ws.cohorts(signalOf(io.signal)));
  await printData(
    io,
    formatOf(options),
    cohorts.map((c) => ({
      id: c.id,
      name: c.name,
      count: c.count,
      created: c.created,
      description: c.description,
    })),
  );
}

// ---- local: the database (read-only, except drop) -------------------------------------------------

/** Options naming a table. */
export interface TableOptions extends GlobalOptions {
  readonly table: string;
}

/** `mp inspect info`: backend, location, tables, rows, size. */
export async function inspectInfo(options: GlobalOptions, io: CliIo): Promise<void> {
  const info = await withWorkspace(options, io, 'read', (ws) => ws.info());
  await printRecord(io, formatOf(options), { ...info });
}

/** `mp inspect tables`: user tables with type, rows and fetch range. */
export async function inspectTables(options: GlobalOptions, io: CliIo): Promise<void> {
  const tables = await withWorkspace(options, io, 'read', (ws) => ws.tables());
  await printData(io, formatOf(options), tables);
}

/** `mp inspect schema -t TABLE`: columns and types. */
export async function inspectSchema(options: TableOptions, io: CliIo): Promise<void> {
  const columns = await withWorkspace(options, io, 'read', (ws) => ws.tableSchema(options.table));
  await printData(io, formatOf(options), columns);
}

/** `mp inspect sample -t TABLE [-n N]`: random rows. */
export async function inspectSample(
  options: TableOptions & { readonly n?: number },
  io: CliIo,
): Promise<void> {
  const rows = await withWorkspace(options, io, 'read', (ws) =>
    ws.sample(options.table, { ...defined({ n: options.n }), ...signalOf(io.signal) }),
  );
  await printData(io, formatOf(options), rows);
}

/** `mp inspect summarize -t TABLE`: per-column count, nulls, distinct, min, max, mean. */
export async function inspectSummarize(options: TableOptions, io: CliIo): Promise<void> {
  const summary = await withWorkspace(options, io, 'read', (ws) =>
    ws.summarize(options.table, signalOf(io.signal)),
  );
  await printData(io, formatOf(options), summary);
}

/** `mp inspect breakdown -t TABLE`: per event name: count, users, first/last seen, share. */
export async function inspectBreakdown(options: TableOptions, io: CliIo): Promise<void> {
  const rows = await withWorkspace(options, io, 'read', (ws) =>
    ws.eventBreakdown(options.table, signalOf(io.signal)),
  );
  await printData(io, formatOf(options), rows);
}

/** `mp inspect keys -t TABLE [-e EVENT]`: property keys, how often present, JSON types. */
export async function inspectKeys(
  options: TableOptions & { readonly event?: string },
  io: CliIo,
): Promise<void> {
  const keys = await withWorkspace(options, io, 'read', (ws) =>
    ws.propertyKeys(options.table, { ...defined({ event: options.event }), ...signalOf(io.signal) }),
  );
  await printData(
    io,
    formatOf(options),
    keys.map((k) => ({ key: k.key, count: k.count, types: k.types.join(',') })),
  );
}

/** `mp inspect column -t TABLE -c COLUMN [--top N]`: counts and top values of a column or property. */
export async function inspectColumn(
  options: TableOptions & { readonly column: string; readonly top?: number },
  io: CliIo,
): Promise<void> {
  const stats = await withWorkspace(options, io, 'read', (ws) =>
    ws.columnStats(options.table, options.column, {
      ...defined({ top: options.top }),
      ...signalOf(io.signal),
    }),
  );
  const format = formatOf(options);
  if (format === 'json' || format === 'jsonl') {
    await printData(io, format, stats);
    return;
  }
  await printData(io, format, stats.top);
  printSummary(
    io,
    options.quiet,
    `${options.column}: ${formatCount(stats.count)} values, ${formatCount(stats.nulls)} nulls, ` +
      `${formatCount(stats.distinct)} distinct.`,
  );
}

/** Options of the drop commands. */
export interface DropOptions extends GlobalOptions {
  /** Skip the confirmation (required when stdin is not a terminal). */
  readonly force?: boolean;
}

/** `mp inspect drop -t TABLE`: drops a table and its metadata (asks first on a terminal). */
export async function inspectDrop(
  options: DropOptions & { readonly table: string },
  io: CliIo,
): Promise<void> {
  await requireConfirmation(options, io, `Drop table '${options.table}'?`);
  const dropped = await withWorkspace(options, io, 'write', (ws) => ws.drop(options.table));
  await printData(
    io,
    formatOf(options),
    dropped.map((table) => ({ dropped: table })),
  );
}

/** `mp inspect drop-all [--type events|profiles]`: drops every user table (or one type). */
export async function inspectDropAll(
  options: DropOptions & { readonly type?: 'events' | 'profiles' },
  io: CliIo,
): Promise<void> {
  const what = options.type === undefined ? 'every table' : `every ${options.type} table`;
  await requireConfirmation(options, io, `Drop ${what}?`);
  const dropped = await withWorkspace(options, io, 'write', (ws) =>
    ws.dropAll(defined({ type: options.type })),
  );
  await printData(
    io,
    formatOf(options),
    dropped.map((table) => ({ dropped: table })),
  );
  printSummary(io, options.quiet, `Dropped ${dropped.length} ${dropped.length === 1 ? 'table' : 'tables'}.`);
}

async function requireConfirmation(options: DropOptions, io: CliIo, question: string): Promise<void> {
  if (options.force === true) return;
  if (io.stdinIsTTY !== true) {
    throw new InvalidArgumentError(
      'Refusing to drop without confirmation: pass --force (stdin is not a terminal).',
    );
  }
  if (!(await confirm(io, question))) {
    io.stderr.write('Not confirmed: nothing was dropped.\n');
    throw new CliExit(EXIT_CODES.general, 'Not confirmed: nothing was dropped.');
  }
}
