import type { BackendFileIo } from '../backend/backend.js';
import type { ColumnDef } from '../backend/column-types.js';
import type { EventRecord, ProfileRecord } from '../engine/records.js';
import { InvalidArgumentError, InvalidRecordError } from '../errors.js';
import { parseJsonLossless } from '../mixpanel/lossless-json-line.js';
import { stringifyJson } from '../values/json-text.js';
import type { FileFormat } from './file-options.js';
import { readCsv, readJsonLines, readParquet } from './file-readers.js';
import { rawEventToRecord, rawProfileToRecord } from './mixpanel-lines.js';

/**
 * File → records. Every format is first read as objects keyed by column (a JSON line, a CSV record
 * under its header, a Parquet row), then shaped for the table kind:
 * - events: Mixpanel's raw `{"event","properties"}` lines (this package's JSONL exports, `mp fetch
 *   events --stdout --raw`, Mixpanel's own export, gzip or not), or flat rows with the table's
 *   columns (`event_name, event_time, distinct_id, insert_id, properties`) in any format;
 * - profiles: Engage `{"$distinct_id","$properties"}` lines, or flat `distinct_id, properties, last_seen`;
 * - other tables: rows by the columns of the sidecar (or of the Parquet file).
 * JSON text (CSV, Parquet) is parsed losslessly, so 19-digit integers keep every digit.
 */

/** One input object and its 1-based position (line number, or row number for Parquet). */
interface Item {
  readonly value: Record<string, unknown>;
  readonly position: number;
}

/** The objects of a file, and whether JSON columns hold parsed values (JSONL) or JSON text. */
export interface FileObjects {
  readonly items: AsyncIterable<Item[]>;
  readonly jsonAsValues: boolean;
  /** Column names, when the format has them up front (CSV header, Parquet schema). */
  readonly columns: readonly string[] | null;
}

function asObject(value: unknown, position: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRecordError(position, 'line', 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

async function* jsonlItems(path: string, signal?: AbortSignal): AsyncGenerator<Item[]> {
  for await (const lines of readJsonLines(path, signal)) {
    yield lines.map(({ value, line }) => ({ value: asObject(value, line), position: line }));
  }
}

/** Opens a file as objects. `fileIo` is a native reader, needed for Parquet only. */
export async function openFileObjects(
  path: string,
  format: FileFormat,
  fileIo: BackendFileIo | null,
  signal?: AbortSignal,
): Promise<FileObjects> {
  switch (format) {
    case 'jsonl':
      return { items: jsonlItems(path, signal), jsonAsValues: true, columns: null };
    case 'csv': {
      const { header, records } = await readCsv(path, signal);
      async function* items(): AsyncGenerator<Item[]> {
        for await (const batch of records) {
          yield batch.map(({ fields, line }) => {
            const value: Record<string, unknown> = {};
            for (let i = 0; i < header.length; i++) value[header[i]!] = fields[i] ?? null;
            return { value, position: line };
          });
        }
      }
      return { items: items(), jsonAsValues: false, columns: header };
    }
    case 'parquet': {
      if (fileIo === null) throw new InvalidArgumentError('Reading Parquet needs a native file reader.');
      let position = 0;
      let names: string[] | null = null;
      async function* items(): AsyncGenerator<Item[]> {
        for await (const batch of readParquet(fileIo!, path, signal)) {
          names ??= batch.columns.map((c) => c.name);
          const keys = names;
          yield batch.rows.map((row) => {
            const value: Record<string, unknown> = {};
            for (let i = 0; i < keys.length; i++) value[keys[i]!] = row[i];
            return { value, position: ++position };
          });
        }
      }
      return { items: items(), jsonAsValues: false, columns: null };
    }
  }
}

/** Properties given as an object, or as JSON text (CSV, Parquet). */
function propertiesOf(value: unknown, position: number): Record<string, unknown> | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') {
    let parsed: unknown;
    try {
      parsed = parseJsonLossless(value);
    } catch (error) {
      throw new InvalidRecordError(position, 'properties', 'is not valid JSON', { cause: error });
    }
    return asProperties(parsed, position);
  }
  return asProperties(value, position);
}

function asProperties(value: unknown, position: number): Record<string, unknown> | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRecordError(position, 'properties', 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function nullable<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}

/** Events records from objects (raw Mixpanel lines or flat rows). */
export async function* eventRecords(
  objects: FileObjects,
  timeInMs: boolean,
  counter: { read: number },
): AsyncGenerator<EventRecord> {
  for await (const batch of objects.items) {
    for (const { value, position } of batch) {
      counter.read++;
      if ('event' in value && 'properties' in value) {
        yield rawEventToRecord(value, position, timeInMs);
      } else if ('event_name' in value) {
        yield {
          event_name: value.event_name as string,
          event_time: value.event_time as EventRecord['event_time'],
          distinct_id: nullable(value.distinct_id as EventRecord['distinct_id']),
          insert_id: (value.insert_id ?? null) as string | null,
          properties: propertiesOf(value.properties, position),
        };
      } else {
        throw new InvalidRecordError(
          position,
          'event',
          'is missing: expected a Mixpanel event {"event", "properties"} or a row with event_name and event_time',
        );
      }
    }
  }
}

/** Profiles records from objects (Engage lines or flat rows). */
export async function* profileRecords(
  objects: FileObjects,
  counter: { read: number },
): AsyncGenerator<ProfileRecord> {
  for await (const batch of objects.items) {
    for (const { value, position } of batch) {
      counter.read++;
      if ('$distinct_id' in value && '$properties' in value) {
        yield rawProfileToRecord(value, position);
      } else if ('distinct_id' in value) {
        const lastSeen = value.last_seen;
        yield {
          distinct_id: value.distinct_id as ProfileRecord['distinct_id'],
          properties: propertiesOf(value.properties, position),
          last_seen: lastSeen === '' ? null : (lastSeen as ProfileRecord['last_seen']),
        };
      } else {
        throw new InvalidRecordError(
          position,
          'distinct_id',
          'is missing: expected a Mixpanel profile {"$distinct_id", "$properties"} or a row with distinct_id',
        );
      }
    }
  }
}

/** Rows of another table, in `columns` order (JSON values of JSON lines back to JSON text). */
export async function* tableRows(
  objects: FileObjects,
  columns: readonly ColumnDef[],
  counter: { read: number },
): AsyncGenerator<unknown[]> {
  for await (const batch of objects.items) {
    for (const { value } of batch) {
      counter.read++;
      yield columns.map((c) => {
        const cell = value[c.name];
        if (cell === undefined) return null;
        return c.type === 'json' && objects.jsonAsValues && cell !== null ? stringifyJson(cell) : cell;
      });
    }
  }
}
