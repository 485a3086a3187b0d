import type { EventRecord, ProfileRecord } from '../engine/records.js';
import type { StorageEngine } from '../engine/storage-engine.js';
import type { TableLoad } from '../io/load-table.js';
import { ChecksumAccumulator } from '../io/table-checksum.js';
import { selectAllSql, type TableLayout } from '../io/table-layout.js';
import { parseJsonLossless } from '../mixpanel/lossless-json-line.js';
import { throwIfAborted } from '../util/abort.js';

/**
 * Streams a source table as a {@link TableLoad} for the target, hashing every row into a checksum
 * accumulator on the way, so the source is read once for both the copy and its checksum.
 */

function properties(text: unknown): Record<string, unknown> | null {
  if (text === null || text === undefined) return null;
  return parseJsonLossless(String(text)) as Record<string, unknown>;
}

async function* sourceRows(
  storage: StorageEngine,
  layout: TableLayout,
  accumulator: ChecksumAccumulator,
  options: { batchRows: number; signal?: AbortSignal; onRows?: (rows: number) => void },
): AsyncGenerator<unknown[]> {
  let rows = 0;
  const stream = storage.streamRows(selectAllSql(storage.dialect, layout), [], {
    batchRows: options.batchRows,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const batch of stream) {
    throwIfAborted(options.signal, 'Migration');
    for (const row of batch.rows) {
      accumulator.add(row);
      yield row;
    }
    rows += batch.rows.length;
    options.onRows?.(rows);
  }
}

async function* eventRecords(rows: AsyncIterable<unknown[]>): AsyncGenerator<EventRecord> {
  for await (const [name, time, distinctId, insertId, props] of rows) {
    yield {
      event_name: name as string,
      event_time: time as Date,
      distinct_id: distinctId as string,
      insert_id: insertId as string,
      properties: properties(props),
    };
  }
}

async function* profileRecords(rows: AsyncIterable<unknown[]>): AsyncGenerator<ProfileRecord> {
  for await (const [distinctId, props, lastSeen] of rows) {
    yield {
      distinct_id: distinctId as string,
      properties: properties(props),
      last_seen: (lastSeen ?? null) as Date | null,
    };
  }
}

/** The load of `layout`'s rows read from `storage`, and the accumulator their checksum lands in. */
export function tableLoadFrom(
  storage: StorageEngine,
  layout: TableLayout,
  options: { batchRows: number; signal?: AbortSignal; onRows?: (rows: number) => void },
): { load: TableLoad; accumulator: ChecksumAccumulator } {
  const accumulator = new ChecksumAccumulator(layout.columns);
  const rows = sourceRows(storage, layout, accumulator, options);
  const metadata = layout.metadata;
  switch (layout.type) {
    case 'events':
      return { load: { type: 'events', records: eventRecords(rows), metadata }, accumulator };
    case 'profiles':
      return { load: { type: 'profiles', records: profileRecords(rows), metadata }, accumulator };
    default:
      return { load: { type: 'other', columns: layout.columns, rows, metadata }, accumulator };
  }
}
