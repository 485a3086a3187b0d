import { type CliIo, write } from './cli-io.js';
import type { ResultSet } from './library.js';
import { colourEnabled, type Paint, painter } from './output/colour.js';
import { csvField, type OutputFormat, plainField } from './output/formats.js';
import { cellText, jsonText } from './output/json-value.js';
import { RowWriter } from './output/row-writer.js';
import { isRecord, type Tabular, toTabular } from './output/tabular.js';

export { FORMAT_CHOICES, type FormatChoice, OUTPUT_FORMATS, type OutputFormat } from './output/formats.js';

/**
 * Printing for every command: data goes to stdout in the chosen `--format`; summaries and notes go
 * to stderr so a pipe only ever receives data.
 */

/** The painter for stdout (colour only on a TTY without NO_COLOR). */
export function stdoutPaint(io: CliIo): Paint {
  return painter(colourEnabled(io.isTTY, io.env));
}

/** The painter for stderr. */
export function stderrPaint(io: CliIo): Paint {
  return painter(colourEnabled(io.stderrIsTTY ?? io.isTTY, io.env));
}

/**
 * Prints a command's result: rows for an array, one row for an object, the bare value for a scalar.
 * Use {@link printRecord} for a single object that reads better as key/value pairs.
 */
export async function printData(io: CliIo, format: OutputFormat, data: unknown): Promise<void> {
  if (!Array.isArray(data) && !isRecord(data)) return printValue(io, format, data);
  if (format === 'json' && !Array.isArray(data)) {
    await write(io.stdout, `${jsonText(data, 2)}\n`);
    return;
  }
  await printTabular(io, format, toTabular(data));
}

/** Prints rows already split into columns. */
export async function printTabular(io: CliIo, format: OutputFormat, table: Tabular): Promise<void> {
  const writer = new RowWriter(io.stdout, format, stdoutPaint(io));
  await writer.begin(table.columns);
  await writer.rows(table.rows);
  await writer.end();
}

/**
 * Prints one object. `table` and `plain` show it vertically (one `key  value` line per field),
 * the machine formats as one object (json, jsonl) or one row (csv).
 */
export async function printRecord(
  io: CliIo,
  format: OutputFormat,
  record: Record<string, unknown>,
): Promise<void> {
  const entries = Object.entries(record);
  switch (format) {
    case 'json':
      return write(io.stdout, `${jsonText(record, 2)}\n`);
    case 'jsonl':
      return write(io.stdout, `${jsonText(record)}\n`);
    case 'csv':
      return printTabular(io, format, toTabular(record));
    case 'plain':
      return write(io.stdout, entries.map(([k, v]) => `${k}\t${plainField(cellText(v))}\n`).join(''));
    case 'table': {
      const paint = stdoutPaint(io);
      const width = Math.max(0, ...entries.map(([k]) => k.length));
      const lines = entries.map(([k, v]) => `${paint('bold', k.padEnd(width))}  ${cellText(v)}\n`);
      return write(io.stdout, lines.join(''));
    }
  }
}

/** Prints a single value (`--scalar`, counts): JSON text for json/jsonl, the bare text otherwise. */
export async function printValue(io: CliIo, format: OutputFormat, value: unknown): Promise<void> {
  if (format === 'json' || format === 'jsonl') return write(io.stdout, `${jsonText(value)}\n`);
  if (format === 'csv') return write(io.stdout, `${csvField(cellText(value))}\n`);
  return write(io.stdout, `${cellText(value)}\n`);
}

/**
 * Streams a query result batch by batch (bounded memory for any result size). Resolves to the row
 * count. An empty result still prints its header (table, csv) or `[]` (json).
 */
export async function printRowStream(
  io: CliIo,
  format: OutputFormat,
  batches: AsyncIterable<ResultSet>,
): Promise<number> {
  const writer = new RowWriter(io.stdout, format, stdoutPaint(io));
  let begun = false;
  for await (const batch of batches) {
    if (!begun) {
      await writer.begin(batch.columns.map((c) => c.name));
      begun = true;
    }
    await writer.rows(batch.rows);
  }
  if (!begun) await writer.begin([]);
  await writer.end();
  return writer.count;
}

/** The one-line summary a command ends with, on stderr (dimmed on a terminal); `--quiet` drops it. */
export function printSummary(io: CliIo, quiet: boolean | undefined, text: string): void {
  if (quiet === true) return;
  io.stderr.write(`${stderrPaint(io)('dim', text)}\n`);
}

/** Formats a count with thousands separators for summaries. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Formats a duration for summaries: `850 ms`, `3.2 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}
