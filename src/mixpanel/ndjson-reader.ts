/** One non-empty line of a JSON Lines body. */
export interface NdjsonLine {
  /** The line without its `\n` and without one trailing `\r`. */
  text: string;
  /** 1-based physical line number (empty lines count). */
  lineNumber: number;
}

/**
 * Splits a stream of (already decompressed) bytes into lines, following the export rules:
 * UTF-8 is decoded with a streaming decoder (a character may be split across chunks); lines are split
 * only on `\n`, never on U+2028, U+2029 or U+0085; one trailing `\r` is dropped; a partial line is
 * carried to the next chunk; empty lines are skipped; a last line without `\n` is yielded too.
 *
 * Lines come in batches (one array per input chunk) so per-line overhead stays low.
 */
export async function* readNdjsonLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<NdjsonLine[]> {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let lineNumber = 0;
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    if (text === '') continue;
    let newline = text.indexOf('\n');
    if (newline === -1) {
      carry += text;
      continue;
    }
    const batch: NdjsonLine[] = [];
    // First line: the carried partial line plus the start of this chunk.
    lineNumber++;
    pushLine(batch, carry + text.slice(0, newline), lineNumber);
    let start = newline + 1;
    newline = text.indexOf('\n', start);
    while (newline !== -1) {
      lineNumber++;
      pushLine(batch, text.slice(start, newline), lineNumber);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    carry = text.slice(start);
    if (batch.length > 0) yield batch;
  }
  const rest = carry + decoder.decode();
  if (rest !== '') {
    const batch: NdjsonLine[] = [];
    pushLine(batch, rest, lineNumber + 1);
    if (batch.length > 0) yield batch;
  }
}

function pushLine(batch: NdjsonLine[], line: string, lineNumber: number): void {
  const text = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  if (text !== '') batch.push({ text, lineNumber });
}
