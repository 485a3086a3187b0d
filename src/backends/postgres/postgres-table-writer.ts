import { finished } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams, { type CopyStreamQuery } from 'pg-copy-streams';
import type { StatementOptions } from '../../backend/backend.js';
import type { ColumnDef, ColumnType, WriteValue } from '../../backend/column-types.js';
import { AbortedError, InvalidArgumentError } from '../../errors.js';
import { UtcTimestampText } from '../../values/utc-timestamp-text.js';
import { postgresDialect } from './postgres-dialect.js';
import { formatDateUtc, formatTimestampUtc } from './postgres-values.js';

/**
 * Bulk append through `COPY … FROM STDIN` in PostgreSQL's TEXT format: one line per row, columns
 * separated by tabs, `\N` for NULL, and backslash, tab, newline and carriage return escaped as
 * `\\`, `\t`, `\n`, `\r` (every other character, U+2028 and emoji included, is sent as UTF-8).
 *
 * Memory stays bounded: rows are encoded into chunks of about {@link CHUNK_CHARS} characters and each
 * chunk waits for the socket to drain before the next is encoded, so at most one batch of the source
 * plus one chunk is held. The signal is checked between batches; an abort (or any failure while
 * encoding) sends CopyFail, and the server discards every row of this COPY.
 */

const CHUNK_CHARS = 256 * 1024;

type Encode = (value: NonNullable<WriteValue>) => string | undefined;

const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Escapes text for a COPY TEXT field. */
export function escapeCopyText(text: string): string {
  // Four native substring searches beat one regex test several times over on the ~400-character
  // JSON documents of an event load, and nearly every field needs no escaping at all.
  return text.includes('\\') || text.includes('\n') || text.includes('\t') || text.includes('\r')
    ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] ?? c)
    : text;
}

/** Strings carrying an explicit zone (`Z`, `+02:00`) are converted to UTC; others are UTC wall time already. */
const HAS_ZONE = /(?:Z|[+-]\d\d(?::?\d\d)?)$/i;

/**
 * One encoder per portable type, chosen once per column. An encoder returns `undefined` for a value
 * it cannot write, and the caller reports the column and row (never the value).
 */
const ENCODERS: Readonly<Record<ColumnType, Encode>> = {
  string: (v) => escapeCopyText(typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : String(v)),
  // JSON arrives serialised (and validated) by the engine; PostgreSQL parses it into jsonb.
  json: (v) => (typeof v === 'string' ? escapeCopyText(v) : undefined),
  int64: (v) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : undefined;
    if (typeof v === 'string') return /^[+-]?\d+$/.test(v.trim()) ? v.trim() : undefined;
    return undefined;
  },
  float64: (v) => {
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v); // NaN, Infinity: PostgreSQL spellings
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'string') return escapeCopyText(v);
    return undefined;
  },
  boolean: (v) =>
    typeof v === 'boolean' ? (v ? 't' : 'f') : typeof v === 'string' ? escapeCopyText(v) : undefined,
  timestamp: (v) => {
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : formatTimestampUtc(v);
    if (typeof v === 'number') return Number.isFinite(v) ? formatTimestampUtc(new Date(v)) : undefined;
    if (typeof v === 'string') {
      if (!HAS_ZONE.test(v.trim())) return escapeCopyText(v);
      const date = new Date(v);
      return Number.isNaN(date.getTime()) ? escapeCopyText(v) : formatTimestampUtc(date);
    }
    return undefined;
  },
  date: (v) => {
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : formatDateUtc(v);
    if (typeof v === 'number') return Number.isFinite(v) ? formatDateUtc(new Date(v)) : undefined;
    if (typeof v === 'string') return escapeCopyText(v);
    return undefined;
  },
};

/**
 * The encoder of a column of `type` for one COPY: timestamp columns get their own day cache
 * (`UtcTimestampText`, the same text as `toISOString` for years 1–9999), the rest are shared.
 */
function encoderFor(type: ColumnType): Encode {
  if (type !== 'timestamp') return ENCODERS[type];
  const text = new UtcTimestampText('T', 'Z');
  const general = ENCODERS.timestamp;
  return (v) => (v instanceof Date ? text.format(v.getTime()) : undefined) ?? general(v);
}

/** A COPY stream's state as the writer sees it: the first error the stream reported, if any. */
interface CopyState {
  error: Error | undefined;
}

/** Sends CopyFail and waits until the server has answered it (the client is idle again after that). */
async function cancelCopy(stream: CopyStreamQuery): Promise<void> {
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  // A fixed text: the server logs the CopyFail message, so it must not carry row data.
  stream.destroy(new Error('mixpanel-data cancelled the append'));
  await closed;
}

async function writeChunk(stream: CopyStreamQuery, chunk: string, state: CopyState): Promise<void> {
  if (state.error) throw state.error;
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (error: Error) => done(error);
    const onClose = () => done(state.error ?? new Error('The COPY stream closed before all rows were sent.'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * Appends every batch to `table` (of the session's schema) with COPY on `client`. Resolves to the
 * number of rows the server reports. On failure the COPY is cancelled (CopyFail) and the error is
 * rethrown unmapped; the caller maps it. The client is usable afterwards.
 */
export async function copyRowsIn(
  client: pg.ClientBase,
  table: string,
  columns: readonly ColumnDef[],
  batches: AsyncIterable<readonly (readonly WriteValue[])[]>,
  options: StatementOptions = {},
): Promise<number> {
  const q = postgresDialect.quoteIdentifier;
  const sql = `COPY ${q(table)} (${columns.map((c) => q(c.name)).join(', ')}) FROM STDIN`;
  const encoders = columns.map((c) => encoderFor(c.type));
  const width = encoders.length;
  const { signal } = options;
  if (signal?.aborted) throw new AbortedError(`Append to table '${table}'`, { cause: signal.reason });

  const stream = client.query(copyStreams.from(sql));
  const state: CopyState = { error: undefined };
  stream.on('error', (error: Error) => {
    state.error ??= error;
  });

  let position = 0;
  let complete = false;
  try {
    for await (const batch of batches) {
      if (signal?.aborted) throw new AbortedError(`Append to table '${table}'`, { cause: signal.reason });
      let chunk = '';
      for (const row of batch) {
        position++;
        if (row.length !== width) {
          throw new InvalidArgumentError(
            `Append to table '${table}': row ${position} has ${row.length} values for ${width} columns.`,
            { details: { table, row: position } },
          );
        }
        let line = '';
        for (let i = 0; i < width; i++) {
          const value = row[i];
          let field: string | undefined;
          if (value === null || value === undefined) field = '\\N';
          else field = encoders[i]!(value);
          if (field === undefined) {
            const column = columns[i]!;
            throw new InvalidArgumentError(
              `Append to table '${table}': row ${position}, column '${column.name}' holds a ${describe(value)} ` +
                `that cannot be written as ${column.type}.`,
              { details: { table, column: column.name, row: position } },
            );
          }
          line += i === 0 ? field : `\t${field}`;
        }
        chunk += `${line}\n`;
        if (chunk.length >= CHUNK_CHARS) {
          await writeChunk(stream, chunk, state);
          chunk = '';
        }
      }
      if (chunk.length > 0) await writeChunk(stream, chunk, state);
    }
    if (signal?.aborted) throw new AbortedError(`Append to table '${table}'`, { cause: signal.reason });
    if (state.error) throw state.error;
    stream.end();
    await finished(stream);
    complete = true;
    return stream.rowCount;
  } finally {
    if (!complete && !state.error && !stream.destroyed) await cancelCopy(stream);
  }
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'invalid Date';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'non-finite number';
  if (typeof value === 'number') return 'non-integer or unsafe number';
  return `value of type ${typeof value}`;
}
