/** Output formats of every command that prints data (`--format`). */
export const OUTPUT_FORMATS = ['table', 'json', 'jsonl', 'csv', 'plain'] as const;

/**
 * What `--format` accepts: the output formats, plus `parquet`, which (like `csv` and `jsonl`) names
 * the file's format for `mp export` and `mp import`. Every other command rejects `parquet`.
 */
export const FORMAT_CHOICES = [...OUTPUT_FORMATS, 'parquet'] as const;

/** A `--format` value as parsed. */
export type FormatChoice = (typeof FORMAT_CHOICES)[number];

/**
 * - `table`: aligned columns for people (the default); long cells are cut with an ellipsis.
 * - `json`: one JSON array of objects (or one object / value); pretty-printed.
 * - `jsonl`: one JSON object per line.
 * - `csv`: RFC 4180, a header row, CRLF-free (`\n` line ends).
 * - `plain`: tab-separated values, no header; tabs and newlines inside values are escaped.
 */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** CSV quoting: only when needed (separator, quote, line break, or edge spaces). */
export function csvField(text: string): string {
  return /[",\n\r]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A `plain` field: one line, no tabs. */
export function plainField(text: string): string {
  return /[\t\n\r\\]/.test(text)
    ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : text;
}
