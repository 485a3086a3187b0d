import type { ColumnDef } from '../backend/column-types.js';
import type { ResultSet } from '../backend/result-set.js';
import { throwIfAborted } from '../util/abort.js';
import { csvCellText, jsonCell } from './cell-values.js';
import { csvLine } from './csv-text.js';
import { eventRowToLine, profileRowToLine } from './mixpanel-lines.js';
import type { ChecksumAccumulator } from './table-checksum.js';
import type { TableKind } from './table-layout.js';
import type { TextFileSink } from './text-file-sink.js';

/**
 * The portable writers: row batches → text lines in a sink, one batch in memory at a time. Each
 * returns the rows written and feeds every row to an optional checksum accumulator on the way.
 */

/** How a writer turns one row into one line of text. */
export type LineEncoder = (row: readonly unknown[]) => string;

/** JSON lines: Mixpanel's shapes for events and profiles, one object per row otherwise. */
export function jsonlEncoder(kind: TableKind, columns: readonly ColumnDef[]): LineEncoder {
  if (kind === 'events') return eventRowToLine;
  if (kind === 'profiles') return profileRowToLine;
  const keys = columns.map((c) => JSON.stringify(c.name));
  return (row) => {
    let line = '{';
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) line += ',';
      line += `${keys[i]}:${jsonCell(row[i], columns[i]!.type)}`;
    }
    return `${line}}\n`;
  };
}

/** The spool a native writer converts: keys `c0…cN`, JSON documents as strings. */
export function spoolEncoder(columns: readonly ColumnDef[]): LineEncoder {
  return (row) => {
    let line = '{';
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) line += ',';
      line += `"c${i}":${jsonCell(row[i], columns[i]!.type, true)}`;
    }
    return `${line}}\n`;
  };
}

/** CSV records (the header is written separately with {@link csvHeader}). */
export function csvEncoder(columns: readonly ColumnDef[]): LineEncoder {
  return (row) => csvLine(columns.map((c, i) => csvCellText(row[i], c.type)));
}

/** The CSV header line. */
export function csvHeader(columns: readonly ColumnDef[]): string {
  return csvLine(columns.map((c) => c.name));
}

const PIECE_CHARS = 64 * 1024;

/** Writes every row of `batches` through `encode`; resolves to the rows written. */
export async function writeRows(
  sink: TextFileSink,
  batches: AsyncIterable<ResultSet>,
  encode: LineEncoder,
  options: { checksum?: ChecksumAccumulator; onProgress?: (rows: number) => void; signal?: AbortSignal },
): Promise<number> {
  let rows = 0;
  for await (const batch of batches) {
    throwIfAborted(options.signal, 'Export');
    // Hand text over in small pieces: long concatenated strings survive young-generation GC and
    // made the collector dominate (measured: CSV export twice as fast this way).
    let text = '';
    for (const row of batch.rows) {
      text += encode(row);
      options.checksum?.add(row);
      if (text.length >= PIECE_CHARS) {
        await sink.write(text);
        text = '';
      }
    }
    await sink.write(text);
    rows += batch.rows.length;
    options.onProgress?.(rows);
  }
  return rows;
}
