import { isUtf8 } from 'node:buffer';

/** Whole JSON lines of an export body, as bytes: what a native JSON loader reads. */
export interface LineBlock {
  /**
   * Complete lines, each ending in `\n`, in body order. Empty lines and a trailing `\r` per line are
   * dropped and invalid UTF-8 is replaced by U+FFFD, exactly as the text reader
   * (`readNdjsonLines`) would see the body, so line `k` of the blocks is the `k`-th event.
   */
  readonly bytes: Buffer;
  /** Lines in `bytes`. */
  readonly lines: number;
}

/** A line that cannot be an event: the stream failed (or the server ended it early). */
export class BadLine extends Error {
  constructor(
    /** 1-based physical line number (empty lines count, as in `readNdjsonLines`). */
    readonly lineNumber: number,
    readonly text: string,
  ) {
    super(`line ${lineNumber} is not a JSON object`);
  }
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Splits a decompressed export body into blocks of whole lines without decoding them: per line
 * only a native `indexOf` and two byte checks (starts with `{`, ends with `}`), which catch cut or
 * split records and `terminated early` while a failure is still a retryable failure of the stream.
 * Full JSON validation is left to the consumer. Lines are cut on `\n` only (U+2028 and U+2029 are
 * multi-byte and never contain that byte).
 */
export class LineBlockSplitter {
  #carry: Buffer | null = null;
  #lineNumber = 0;
  #started = false;

  /** The complete lines this chunk finishes (null when it finishes none). Throws {@link BadLine}. */
  push(chunk: Buffer): LineBlock | null {
    let data = this.#carry === null ? chunk : Buffer.concat([this.#carry, chunk]);
    if (!this.#started) {
      // A leading BOM is dropped by the text decoder too (wait until a split one is complete).
      if (data.length < BOM.length && data.equals(BOM.subarray(0, data.length))) {
        this.#carry = data;
        return null;
      }
      this.#started = true;
      if (data.subarray(0, BOM.length).equals(BOM)) data = data.subarray(BOM.length);
    }
    const last = data.lastIndexOf(NEWLINE);
    if (last === -1) {
      this.#carry = data;
      return null;
    }
    this.#carry = last + 1 < data.length ? Buffer.from(data.subarray(last + 1)) : null;
    return this.#block(data.subarray(0, last + 1));
  }

  /** The last line when the body does not end with `\n`. */
  end(): LineBlock | null {
    const rest = this.#carry;
    this.#carry = null;
    if (rest === null || rest.length === 0) return null;
    return this.#block(Buffer.concat([rest, Buffer.from([NEWLINE])]));
  }

  /** Checks the lines of `whole` (which ends with `\n`) and drops what the text reader drops. */
  #block(whole: Buffer): LineBlock | null {
    let lines = 0;
    let clean = true;
    for (let start = 0; start < whole.length; ) {
      const newline = whole.indexOf(NEWLINE, start);
      let end = newline;
      if (end > start && whole[end - 1] === CR) {
        end--;
        clean = false;
      }
      this.#lineNumber++;
      if (end === start) {
        clean = false;
      } else {
        if (whole[start] !== OPEN || whole[end - 1] !== CLOSE) {
          throw new BadLine(this.#lineNumber, whole.toString('utf8', start, end));
        }
        lines++;
      }
      start = newline + 1;
    }
    if (lines === 0) return null;
    let bytes = clean ? whole : withoutBlankLines(whole);
    // The text reader decodes with replacement; do the same so both lanes load the same text.
    if (!isUtf8(bytes)) bytes = Buffer.from(new TextDecoder('utf-8').decode(bytes), 'utf8');
    return { bytes, lines };
  }
}

/** The non-empty lines of `whole`, each without a trailing `\r`, each ending in `\n`. */
function withoutBlankLines(whole: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0; start < whole.length; ) {
    const newline = whole.indexOf(NEWLINE, start);
    const end = newline > start && whole[newline - 1] === CR ? newline - 1 : newline;
    if (end > start) parts.push(whole.subarray(start, end), whole.subarray(newline, newline + 1));
    start = newline + 1;
  }
  return Buffer.concat(parts);
}
