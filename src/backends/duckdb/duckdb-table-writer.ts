import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBTimestampValue,
} from '@duckdb/node-api';
import type { StatementOptions } from '../../backend/backend.js';
import type { ColumnDef, ColumnType, WriteValue } from '../../backend/column-types.js';
import { throwIfAborted } from '../../util/abort.js';

type AppendOne = (appender: DuckDBAppender, value: NonNullable<WriteValue>) => void;

const MS_PER_DAY = 86_400_000;

/** One append function per portable type, chosen once per column rather than per value. */
const APPEND_BY_TYPE: Readonly<Record<ColumnType, AppendOne>> = {
  string: (a, v) => a.appendVarchar(String(v)),
  // The Appender does not validate JSON; the engine serialises JSON itself, so this is known-good text.
  json: (a, v) => a.appendVarchar(String(v)),
  timestamp: (a, v) => a.appendTimestamp(new DuckDBTimestampValue(BigInt(toEpochMs(v)) * 1000n)),
  int64: (a, v) => a.appendBigInt(typeof v === 'bigint' ? v : BigInt(v as number)),
  float64: (a, v) => a.appendDouble(Number(v)),
  boolean: (a, v) => a.appendBoolean(Boolean(v)),
  date: (a, v) => a.appendDate(new DuckDBDateValue(Math.floor(toEpochMs(v) / MS_PER_DAY))),
};

function toEpochMs(value: NonNullable<WriteValue>): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  return Date.parse(String(value));
}

/**
 * Writes batches through DuckDB's Appender, the engine's native bulk path (row-wise appends measured
 * at ~350k rows/s here, against ~20k rows/s for prepared multi-row INSERTs). The Appender joins the
 * connection's open transaction, so a caller's ROLLBACK discards everything appended.
 */
export async function appendWithAppender(
  connection: DuckDBConnection,
  table: string,
  columns: readonly ColumnDef[],
  batches: AsyncIterable<readonly (readonly WriteValue[])[]>,
  options: StatementOptions = {},
): Promise<number> {
  const appenders = columns.map((column) => APPEND_BY_TYPE[column.type]);
  const width = appenders.length;
  const appender = await connection.createAppender(table);
  let written = 0;
  let closed = false;
  try {
    for await (const batch of batches) {
      throwIfAborted(options.signal, 'Bulk append');
      for (const row of batch) {
        for (let i = 0; i < width; i++) {
          const value = row[i];
          if (value === null || value === undefined) appender.appendNull();
          else appenders[i]!(appender, value);
        }
        appender.endRow();
      }
      written += batch.length;
    }
    appender.flushSync();
    appender.closeSync();
    closed = true;
    return written;
  } finally {
    if (!closed) {
      // On failure the caller rolls the transaction back; drop the buffered rows without flushing.
      try {
        appender.clear();
        appender.closeSync();
      } catch {
        // The appender may already be invalid after a failed append; the rollback still discards it.
      }
    }
  }
}
