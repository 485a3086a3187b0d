import { InvalidArgumentError } from '../errors.js';

/**
 * CSV as RFC 4180 with a header row and `\n` line ends. NULL and the empty string differ: NULL is an
 * empty unquoted field, the empty string is `""` (DuckDB's COPY writes the same). A field is quoted
 * when it holds a comma, a quote, a line break, or is empty.
 */

const NEEDS_QUOTES = /[",\n\r]/;

/** One CSV field (`null` → empty, unquoted). */
export function csvField(text: string | null): string {
  if (text === null) return '';
  if (text === '' || NEEDS_QUOTES.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

/** One CSV line with its `\n`. */
export function csvLine(fields: readonly (string | null)[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += ',';
    line += csvField(fields[i]!);
  }
  return `${line}\n`;
}

/** A parsed CSV record: fields, `null` for empty unquoted ones, and its 1-based line number. */
export interface CsvRecord {
  readonly fields: (string | null)[];
  readonly line: number;
}

/**
 * Splits a stream of text chunks into CSV records: quoted fields may hold commas, doubled quotes and
 * line breaks; `\r\n` and `\n` both end a record; blank lines are skipped. Memory holds one record
 * plus one chunk. Yields batches (one per chunk) to keep per-record overhead low.
 */
export async function* parseCsv(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord[]> {
  let fields: (string | null)[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let pendingQuote = false; // saw `"` inside quotes: either a doubled quote or the closing one
  let line = 1;
  let recordLine = 1;
  const endField = () => {
    fields.push(field === '' && !quoted ? null : field);
    field = '';
    quoted = false;
  };
  for await (const chunk of chunks) {
    const out: CsvRecord[] = [];
    let start = 0; // start of a plain (unquoted or quoted) run to copy in one slice
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inQuotes) {
        if (pendingQuote) {
          pendingQuote = false;
          if (c === 34) {
            field += '"';
            start = i + 1;
            continue;
          }
          inQuotes = false; // the previous quote closed the field; handle c below
          start = i;
        } else if (c === 34) {
          field += chunk.slice(start, i);
          pendingQuote = true;
          continue;
        } else {
          if (c === 10) line++;
          continue;
        }
      }
      if (c === 44) {
        field += chunk.slice(start, i);
        endField();
        start = i + 1;
      } else if (c === 10 || c === 13) {
        field += chunk.slice(start, i);
        if (c === 10) line++;
        if (fields.length > 0 || field !== '' || quoted) {
          endField();
          out.push({ fields, line: recordLine });
          fields = [];
        }
        recordLine = line;
        start = i + 1;
      } else if (c === 34 && field === '' && start === i && !quoted) {
        inQuotes = true;
        quoted = true;
        start = i + 1;
      }
    }
    if (inQuotes && !pendingQuote) field += chunk.slice(start);
    else if (!inQuotes) field += chunk.slice(start);
    if (out.length > 0) yield out;
  }
  if (inQuotes && !pendingQuote) {
    throw new InvalidArgumentError(`CSV: a quoted field starting on line ${recordLine} never ends.`, {
      details: { line: recordLine },
    });
  }
  if (fields.length > 0 || field !== '' || quoted) {
    endField();
    yield [{ fields, line: recordLine }];
  }
}
