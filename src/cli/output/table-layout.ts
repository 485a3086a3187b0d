import type { Paint } from './colour.js';
import { cellText } from './json-value.js';

/** Widest a table column grows; longer cells end in an ellipsis (use json or csv for full values). */
export const MAX_COLUMN_WIDTH = 60;

/** Column widths and alignment, measured once from the first rows so rows can stream after it. */
export interface TableLayout {
  readonly columns: readonly string[];
  readonly widths: readonly number[];
  /** Numbers are right-aligned. */
  readonly rightAlign: readonly boolean[];
}

/** Measures a layout from a sample of rows (all of them for small results). */
export function measureTable(
  columns: readonly string[],
  sample: readonly (readonly unknown[])[],
): TableLayout {
  const widths = columns.map((c) => Math.min(MAX_COLUMN_WIDTH, displayWidth(c)));
  const rightAlign = columns.map(() => sample.length > 0);
  for (const row of sample) {
    columns.forEach((_, i) => {
      const value = row[i];
      widths[i] = Math.min(MAX_COLUMN_WIDTH, Math.max(widths[i]!, displayWidth(oneLine(cellText(value)))));
      if (value !== null && value !== undefined && typeof value !== 'number' && typeof value !== 'bigint') {
        rightAlign[i] = false;
      }
    });
  }
  return { columns, widths, rightAlign };
}

/** The header line and its underline. */
export function tableHeader(layout: TableLayout, paint: Paint): string {
  const names = layout.columns.map((c, i) =>
    paint('bold', pad(fitCell(c, layout.widths[i]!), layout.widths[i]!, false)),
  );
  const rule = layout.widths.map((w) => paint('dim', '─'.repeat(w)));
  return `${names.join('  ').trimEnd()}\n${rule.join('  ')}\n`;
}

/** One row, fitted to the layout. */
export function tableRow(layout: TableLayout, row: readonly unknown[]): string {
  const cells = layout.columns.map((_, i) => {
    const width = layout.widths[i]!;
    return pad(fitCell(oneLine(cellText(row[i])), width), width, layout.rightAlign[i]!);
  });
  return `${cells.join('  ').trimEnd()}\n`;
}

/** Newlines and tabs would break the grid; show them as escapes. */
function oneLine(text: string): string {
  return /[\n\r\t]/.test(text)
    ? text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t')
    : text;
}

/** Code points, not UTF-16 units, so emoji and accented names do not skew the grid too much. */
function displayWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function fitCell(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  return `${[...text].slice(0, width - 1).join('')}…`;
}

function pad(text: string, width: number, right: boolean): string {
  const gap = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return right ? gap + text : text + gap;
}
