import type { Writable } from 'node:stream';
import { write } from '../cli-io.js';
import type { Paint } from './colour.js';
import { csvField, type OutputFormat, plainField } from './formats.js';
import { cellText, jsonText } from './json-value.js';
import { measureTable, type TableLayout, tableHeader, tableRow } from './table-layout.js';

/** Rows the table format looks at before fixing its column widths; later rows are cut to fit. */
const TABLE_SAMPLE_ROWS = 200;

/**
 * Writes rows to a stream in one format without holding the result: each batch is written (with
 * backpressure) and forgotten. Only the table format keeps its first {@link TABLE_SAMPLE_ROWS}
 * rows to measure column widths.
 */
export class RowWriter {
  readonly #out: Writable;
  readonly #format: OutputFormat;
  readonly #paint: Paint;
  #columns: readonly string[] = [];
  #count = 0;
  #pending: unknown[][] = [];
  #layout: TableLayout | undefined;
  #jsonRows = 0;

  constructor(out: Writable, format: OutputFormat, paint: Paint) {
    this.#out = out;
    this.#format = format;
    this.#paint = paint;
  }

  /** Rows written so far. */
  get count(): number {
    return this.#count;
  }

  /** Starts the output with its column names. */
  async begin(columns: readonly string[]): Promise<void> {
    this.#columns = columns;
    if (this.#format === 'json') await write(this.#out, '[');
    else if (this.#format === 'csv' && columns.length > 0)
      await write(this.#out, `${columns.map(csvField).join(',')}\n`);
  }

  /** Writes a batch of rows (arrays in column order). */
  async rows(rows: readonly (readonly unknown[])[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.#format === 'table' && this.#layout === undefined) {
      this.#pending.push(...rows.map((r) => [...r]));
      this.#count += rows.length;
      if (this.#pending.length >= TABLE_SAMPLE_ROWS) await this.#flushTable();
      return;
    }
    let text = '';
    for (const row of rows) text += this.#line(row);
    this.#count += rows.length;
    await write(this.#out, text);
  }

  /** Ends the output (closing the JSON array, printing a short table). */
  async end(): Promise<void> {
    if (this.#format === 'json') await write(this.#out, this.#count === 0 ? ']\n' : '\n]\n');
    else if (this.#format === 'table' && this.#layout === undefined) await this.#flushTable();
  }

  async #flushTable(): Promise<void> {
    // A result with no batch at all carries no column names: print nothing rather than blank lines.
    if (this.#columns.length === 0) return;
    const layout = measureTable(this.#columns, this.#pending);
    this.#layout = layout;
    let text = tableHeader(layout, this.#paint);
    for (const row of this.#pending) text += tableRow(layout, row);
    this.#pending = [];
    await write(this.#out, text);
  }

  #line(row: readonly unknown[]): string {
    switch (this.#format) {
      case 'json':
        return `${this.#jsonRows++ === 0 ? '\n  ' : ',\n  '}${jsonText(this.#object(row))}`;
      case 'jsonl':
        return `${jsonText(this.#object(row))}\n`;
      case 'csv':
        return `${row.map((v) => csvField(cellText(v))).join(',')}\n`;
      case 'plain':
        return `${row.map((v) => plainField(cellText(v))).join('\t')}\n`;
      case 'table':
        return tableRow(this.#layout!, row);
    }
  }

  #object(row: readonly unknown[]): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    this.#columns.forEach((c, i) => {
      obj[c] = row[i];
    });
    return obj;
  }
}
