import type { EventRecord, ProfileRecord } from '../engine/records.js';
import type { Profile, RawEvent } from '../mixpanel/index.js';
import { stringifyJson } from '../values/json-text.js';

/**
 * Pure conversions from Mixpanel's wire shapes to the storage engine's records. Properties are
 * kept as they arrived (bigints stay bigints; `time`, `$insert_id` and `distinct_id` stay too), so
 * nothing Mixpanel sent is lost; the record's columns are derived copies.
 */

/**
 * A raw export event as an events-table record:
 * - `event_time` from `properties.time` (seconds, or ms when `timeInMs`), as a UTC instant;
 * - `insert_id` from `properties.$insert_id` (null when absent: the engine derives a stable id);
 * - `distinct_id` from `properties.distinct_id` (`''` when absent or null, as Mixpanel allows).
 *
 * A missing or non-numeric `time` gives an invalid `event_time` that the engine rejects with
 * `InvalidRecordError`, naming the record and the field.
 */
export function toEventRecord(raw: RawEvent, timeInMs = false): EventRecord {
  const properties = raw.properties;
  return {
    event_name: raw.event,
    event_time: eventTime(properties.time, timeInMs),
    distinct_id: idText(properties.distinct_id),
    insert_id: insertId(properties.$insert_id),
    properties,
  };
}

/** Converts every event of `source` lazily with {@link toEventRecord}. */
export async function* toEventRecords(
  source: AsyncIterable<RawEvent>,
  timeInMs = false,
): AsyncGenerator<EventRecord> {
  for await (const raw of source) yield toEventRecord(raw, timeInMs);
}

function eventTime(value: unknown, timeInMs: boolean): Date {
  // An invalid Date (missing or non-numeric `time`) is refused by the engine with InvalidRecordError.
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number.NaN;
  return new Date(timeInMs ? n : n * 1000);
}

function idText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  // An object as distinct_id is malformed but still an event: keep it, as its JSON text.
  return stringifyJson(value);
}

function insertId(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}

/**
 * A profile as a profiles-table record: `$distinct_id` (already a string from the client) and
 * `$properties` kept whole; `last_seen` from `$properties.$last_seen`, an ISO time without an offset
 * read as UTC (null when absent or unreadable, so one odd profile never fails a fetch).
 */
export function toProfileRecord(profile: Profile): ProfileRecord {
  return {
    distinct_id: profile.distinct_id,
    properties: profile.properties,
    last_seen: profileTime(profile.properties.$last_seen),
  };
}

/** Converts every profile of `source` lazily with {@link toProfileRecord}. */
export async function* toProfileRecords(source: AsyncIterable<Profile>): AsyncGenerator<ProfileRecord> {
  for await (const profile of source) yield toProfileRecord(profile);
}

const HAS_OFFSET = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

function profileTime(value: unknown): Date | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim().replace(' ', 'T');
  const date = new Date(HAS_OFFSET.test(text) || !text.includes('T') ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}
