import { mkdtempSync, rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnDef, ColumnType, WriteValue } from '../../backend/column-types.js';
import { quoteIdentifierStandard as q } from '../../backend/sql-dialect.js';
import { InvalidArgumentError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { MS_PER_DAY, toEpochMs } from './duckdb-values.js';

/**
 * The bulk path for large appends on DuckDB: JavaScript encodes rows as tab-separated text into a
 * private spool file, one slice at a time, and DuckDB's CSV reader loads each slice on its own
 * worker threads while JavaScript encodes the next one.
 *
 * Why not the Appender for everything: on a 2-core machine the Appender runs DuckDB's whole append
 * (including compressing and writing full row groups) synchronously on the JavaScript thread, so
 * encoding and storing never overlap (measured: ~165k rows/s at best for Mixpanel-shaped events).
 * Here the JavaScript thread only serialises, and the load runs beside it (docs/benchmarks.md).
 *
 * The text format needs no quoting: a field never holds a raw tab, newline or other control
 * character. Text values that do contain one (rare in event names and ids; never in JSON written
 * by JSON.stringify) are written as `\x01` + their JSON string literal, which escapes every control
 * character, and decoded in SQL. NULL is `\x02`, which no plain value can be (it is a control
 * character). Everything runs on the caller's connection, so it joins the caller's transaction:
 * a ROLLBACK discards every slice loaded so far.
 */

/** Default rows per spool file: big enough to amortise a statement, small enough to overlap well. */
export const DEFAULT_SPOOL_SLICE_ROWS = 200_000;

const ESCAPED = '\u0001';
const NULL_TEXT = '\u0002';
const NEWLINE = 10;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f]/;
/** Buffer per write; a row larger than this gets a buffer of its own size. */
const BUFFER_BYTES = 4 << 20;

/** How each portable type is written as text and read back by `read_csv`. */
interface ColumnCodec {
  /** Type `read_csv` parses the field as. */
  readonly csvType: string;
  readonly encode: (value: NonNullable<WriteValue>) => string;
  /** SQL turning the read field (named `c`) into the column's value. */
  readonly decode: (c: string) => string;
}

function textOf(value: NonNullable<WriteValue>): string {
  const text = String(value);
  return CONTROL.test(text) ? ESCAPED + JSON.stringify(text) : text;
}

const decodeText = (c: string) =>
  `CASE WHEN starts_with(${c}, chr(1)) THEN json_extract_string(substr(${c}, 2), '$') ELSE ${c} END`;

const CODECS: Readonly<Record<ColumnType, ColumnCodec>> = {
  string: { csvType: 'VARCHAR', encode: textOf, decode: decodeText },
  // JSON stays text end to end: the cast to JSON validates it and keeps the exact characters, so
  // 20-digit integers and number formatting survive.
  json: { csvType: 'VARCHAR', encode: textOf, decode: (c) => `CAST(${decodeText(c)} AS JSON)` },
  timestamp: { csvType: 'BIGINT', encode: (v) => String(toEpochMs(v)), decode: (c) => `epoch_ms(${c})` },
  int64: {
    csvType: 'BIGINT',
    encode: (v) => {
      if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return String(v);
      throw new InvalidArgumentError(`Not a whole number for an int64 column: ${String(v)}`);
    },
    decode: (c) => c,
  },
  float64: { csvType: 'DOUBLE', encode: (v) => String(Number(v)), decode: (c) => c },
  boolean: { csvType: 'BOOLEAN', encode: (v) => (v ? 'true' : 'false'), decode: (c) => c },
  date: {
    csvType: 'INTEGER',
    encode: (v) => String(Math.floor(toEpochMs(v) / MS_PER_DAY)),
    decode: (c) => `DATE '1970-01-01' + ${c}`,
  },
};

/** `max_line_size` for a slice whose longest line is `maxLineBytes` (DuckDB's default is 2 MB). */
function maxLineSize(maxLineBytes: number): number {
  return Math.max(2_097_152, maxLineBytes + 1);
}

/** Bytes of the CSV reader's buffer for a slice whose longest line is `maxLineBytes` (see below). */
function csvBufferBytes(maxLineBytes: number): number {
  return Math.max(16_777_216, 2 * maxLineSize(maxLineBytes));
}

/** The INSERT that loads one spool file (path bound as $1) into `table`. */
function loadStatement(table: string, columns: readonly ColumnDef[], maxLineBytes: number): string {
  const fields = columns.map((_, i) => `c${i}`);
  const schema = columns.map((column, i) => `${fields[i]}: '${CODECS[column.type].csvType}'`).join(', ');
  const values = columns.map((column, i) => CODECS[column.type].decode(fields[i]!)).join(', ');
  const names = columns.map((column) => q(column.name)).join(', ');
  // Every option is explicit: no sniffing, no quoting, one line per row. The line limit follows the
  // longest row written (DuckDB's default of 2 MB would reject a very large properties object).
  // DuckDB sizes its read buffers at 16 × max_line_size unless told: keep them at 16 MB for ordinary
  // rows (the memory limit must hold two of them), larger only when one row needs it.
  const options =
    `delim = '\t', quote = '', escape = '', header = false, auto_detect = false, new_line = '\\n', ` +
    `nullstr = chr(2), max_line_size = ${maxLineSize(maxLineBytes)}, buffer_size = ${csvBufferBytes(maxLineBytes)}, ` +
    `columns = {${schema}}`;
  return `INSERT INTO ${q(table)} (${names}) SELECT ${values} FROM read_csv($1, ${options})`;
}

/**
 * One spool file being written. Rows are encoded synchronously into large buffers; full buffers
 * wait in memory until the caller drains them with one async write per batch (memory holds about
 * one batch of rows).
 */
class SpoolSlice {
  rows = 0;
  maxLineBytes = 0;
  #buffer: Buffer;
  #offset = 0;
  #full: Buffer[] = [];
  readonly #spare: Buffer[];

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    spare: Buffer[],
  ) {
    this.#spare = spare;
    this.#buffer = spare.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES);
  }

  /** Opens a new slice file; `spare` is a pool of buffers shared by the slices of one append. */
  static async create(path: string, spare: Buffer[]): Promise<SpoolSlice> {
    return new SpoolSlice(path, await open(path, 'wx', 0o600), spare);
  }

  /**
   * Adds one encoded row (its fields joined by tabs, without the newline). One buffer write per
   * row: a write per field cost ~0.3 µs a row more in native calls.
   */
  add(line: string): void {
    const worst = line.length * 3 + 1; // UTF-8 needs at most 3 bytes per UTF-16 unit
    if (this.#offset + worst > this.#buffer.length) {
      this.#seal();
      if (worst > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(worst); // one huge row
    }
    const start = this.#offset;
    let offset = start + this.#buffer.write(line, start);
    this.#buffer[offset++] = NEWLINE;
    this.#offset = offset;
    if (offset - start > this.maxLineBytes) this.maxLineBytes = offset - start;
    this.rows++;
  }

  /** Writes the full buffers to the file. */
  async drain(): Promise<void> {
    const full = this.#full;
    this.#full = [];
    for (const view of full) {
      await this.file.write(view);
      // Reuse written buffers: allocating hundreds of MB of fresh external memory per million rows
      // makes V8 run full garbage collections (measured: GC time ×6).
      if (view.buffer.byteLength === BUFFER_BYTES) this.#spare.push(Buffer.from(view.buffer));
    }
  }

  async finish(): Promise<void> {
    this.#seal();
    await this.drain();
    await this.file.close();
  }

  async discard(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }

  /** Queues the current buffer for writing and starts a fresh one. */
  #seal(): void {
    if (this.#offset === 0) return;
    this.#full.push(this.#buffer.subarray(0, this.#offset));
    this.#buffer = this.#spare.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES);
    this.#offset = 0;
  }
}

/** Options of {@link appendThroughSpool}. */
export interface SpoolOptions {
  readonly signal?: AbortSignal;
  /** Rows per spool file (default {@link DEFAULT_SPOOL_SLICE_ROWS}). */
  readonly sliceRows?: number;
  /** Where the private spool directory is made (default: the OS temp directory). */
  readonly parentDirectory?: string;
  /** How DuckDB's memory is set around the loads (see DuckDbSession); omitted: left alone. */
  readonly memory?: SpoolMemory;
}

/**
 * Memory settings around spool loads. Failures are ignored: they only affect memory use.
 */
export interface SpoolMemory {
  /**
   * Before each load: the limit for a load whose CSV reader needs `minimumBytes` of buffers. Setting
   * it also makes DuckDB hand back what its allocator holds freed from the previous load (glibc
   * keeps it otherwise: RSS grew ~75 MB per 200k-row slice, DuckDB accounting for a third of it).
   */
  readonly beforeLoad: (minimumBytes: number) => Promise<void>;
  /** After the last load (or a failure): the transaction's own limit again. */
  readonly afterLoads: () => Promise<void>;
}

/**
 * Appends `batches` to `table` through spool files (see the module comment). Resolves to the number
 * of rows written. On failure or abort, it waits for the slice being loaded, removes its files and
 * rethrows; the caller's ROLLBACK discards the rows already loaded.
 */
export async function appendThroughSpool(
  connection: DuckDBConnection,
  table: string,
  columns: readonly ColumnDef[],
  batches: AsyncIterable<readonly (readonly WriteValue[])[]>,
  options: SpoolOptions = {},
): Promise<number> {
  const sliceRows = options.sliceRows ?? DEFAULT_SPOOL_SLICE_ROWS;
  const encoders = columns.map((column) => CODECS[column.type].encode);
  const width = columns.length;
  const dir = mkdtempSync(join(options.parentDirectory ?? tmpdir(), 'mp-append-'));
  let sliceNumber = 0;
  let slice: SpoolSlice | undefined;
  let loading: Promise<void> | undefined;
  let loadError: { error: unknown } | undefined;
  let running = false;
  let written = 0;
  const spare: Buffer[] = [];

  const startLoad = async (done: SpoolSlice) => {
    await done.finish();
    // One load at a time on the connection: wait for the previous slice before starting this one.
    await loading; // never rejects: a failure is kept in loadError
    if (loadError) throw loadError.error;
    const sql = loadStatement(table, columns, done.maxLineBytes);
    // Room for the reader's buffers (two of them in flight) and the rows being inserted.
    await options.memory?.beforeLoad(4 * csvBufferBytes(done.maxLineBytes)).catch(() => undefined);
    running = true;
    loading = connection.run(sql, [done.path]).then(
      () => {
        running = false;
        rmSync(done.path, { force: true });
      },
      (error: unknown) => {
        running = false;
        loadError = { error };
      },
    );
  };

  try {
    for await (const batch of batches) {
      throwIfAborted(options.signal, 'Bulk append');
      if (loadError) throw loadError.error;
      for (const row of batch) {
        let line = '';
        for (let i = 0; i < width; i++) {
          const value = row[i];
          const text = value === null || value === undefined ? NULL_TEXT : encoders[i]!(value);
          line = i === 0 ? text : `${line}\t${text}`;
        }
        slice ??= await SpoolSlice.create(join(dir, `slice-${++sliceNumber}.tsv`), spare);
        slice.add(line);
        if (slice.rows >= sliceRows) {
          written += slice.rows;
          const done = slice;
          slice = undefined;
          await startLoad(done);
        }
      }
      await slice?.drain();
    }
    throwIfAborted(options.signal, 'Bulk append');
    if (slice) {
      written += slice.rows;
      const done = slice;
      slice = undefined;
      await startLoad(done);
    }
    await loading; // never rejects: a failure is kept in loadError
    if (loadError) throw loadError.error;
    return written;
  } catch (error) {
    // Stop a load still running so the caller's ROLLBACK does not wait for it. Only then: an
    // interrupt with no statement running could hit the caller's next statement instead.
    if (running) connection.interrupt();
    throw error;
  } finally {
    await slice?.discard();
    await loading; // never rejects: a failure is kept in loadError
    if (sliceNumber > 0) await options.memory?.afterLoads().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
