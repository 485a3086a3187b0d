import { createHash } from 'node:crypto';
import type { WriteValue } from '../backend/column-types.js';
import { InvalidRecordError } from '../errors.js';
import { stringifyJson } from '../values/json-text.js';
import type { EventRecord, ProfileRecord, TimeInput } from './records.js';

/**
 * Record → row conversion: the validation boundary of ingestion. Every value is checked here, and
 * properties are serialised by us (the Appender would store any string as JSON unchecked).
 */

/** Converts a caller's time to a valid `Date`, or explains what is wrong with it. */
export function toDate(value: TimeInput | null | undefined, position: number, field: string): Date {
  let date: Date | undefined;
  if (value instanceof Date) date = value;
  else if (typeof value === 'number' && Number.isFinite(value)) date = new Date(value);
  else if (typeof value === 'string' && value.trim() !== '') {
    // A bare date-time without an offset is read as UTC, never as the machine's local time.
    const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) || /^\d{4}-\d\d-\d\d$/.test(value) ? value : `${value}Z`;
    date = new Date(text.replace(' ', 'T'));
  }
  if (date === undefined) {
    throw new InvalidRecordError(position, field, 'must be a Date, an ISO-8601 string or epoch milliseconds');
  }
  if (Number.isNaN(date.getTime())) {
    throw new InvalidRecordError(position, field, `is not a valid time (${JSON.stringify(String(value))})`);
  }
  return date;
}

function toId(value: unknown, position: number, field: string, allowEmpty: boolean): string {
  if (value === undefined || value === null) {
    if (allowEmpty) return '';
    throw new InvalidRecordError(position, field, 'is required');
  }
  if (typeof value === 'string') {
    if (!allowEmpty && value === '') throw new InvalidRecordError(position, field, 'must not be empty');
    return value;
  }
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value)))
    return String(value);
  throw new InvalidRecordError(position, field, `must be a string (got ${typeof value})`);
}

function toPropertiesJson(value: unknown, position: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRecordError(position, 'properties', 'must be an object');
  }
  try {
    return stringifyJson(value);
  } catch (error) {
    throw new InvalidRecordError(
      position,
      'properties',
      'cannot be serialised as JSON (circular or unsupported value)',
      {
        cause: error,
      },
    );
  }
}

function processingTime(properties: unknown): number | bigint | null {
  if (properties === null || typeof properties !== 'object') return null;
  const value = (properties as Record<string, unknown>).mp_processing_time_ms;
  // A safe integer stays a number (int64 columns take both): no BigInt per row on the hot path.
  if (typeof value === 'number' && Number.isFinite(value)) {
    const whole = Math.trunc(value);
    return Number.isSafeInteger(whole) ? whole : BigInt(whole);
  }
  if (typeof value === 'bigint') return value;
  return null;
}

/**
 * Turns events into staging rows, deriving stable insert ids for records without one.
 *
 * A derived id hashes the event's content plus its occurrence number among identical events in this
 * source (Mixpanel never merges events without `$insert_id`, so two identical ones stay two rows),
 * which makes re-ingesting the same data idempotent. The occurrence map only holds events that lack
 * an id, a small share of real exports.
 */
export class EventRowBuilder {
  #position = 0;
  readonly #occurrences = new Map<string, number>();

  /** Validates `record` (1-based `position` for messages) and returns its staging row. */
  build(record: EventRecord): WriteValue[] {
    const position = ++this.#position;
    if (record === null || typeof record !== 'object') {
      throw new InvalidRecordError(position, 'record', 'must be an object');
    }
    const name = record.event_name;
    if (typeof name !== 'string' || name === '') {
      throw new InvalidRecordError(position, 'event_name', 'must be a non-empty string');
    }
    const time = toDate(record.event_time, position, 'event_time');
    const distinctId = toId(record.distinct_id, position, 'distinct_id', true);
    const properties = toPropertiesJson(record.properties, position);
    let insertId: string;
    if (record.insert_id === undefined || record.insert_id === null || record.insert_id === '') {
      insertId = this.#derivedId(name, time, distinctId, properties);
    } else if (typeof record.insert_id === 'string') {
      insertId = record.insert_id;
    } else {
      throw new InvalidRecordError(
        position,
        'insert_id',
        `must be a string (got ${typeof record.insert_id})`,
      );
    }
    return [name, time, distinctId, insertId, properties, processingTime(record.properties), position];
  }

  #derivedId(name: string, time: Date, distinctId: string, properties: string | null): string {
    const content = createHash('sha256')
      .update(`${name}\u0000${time.getTime()}\u0000${distinctId}\u0000${properties ?? ''}`)
      .digest('hex')
      .slice(0, 24);
    const occurrence = (this.#occurrences.get(content) ?? 0) + 1;
    this.#occurrences.set(content, occurrence);
    // `~` marks a derived id: it is outside Mixpanel's [A-Za-z0-9-] alphabet, so it never collides.
    return `~${content}-${occurrence}`;
  }
}

/** Turns profiles into staging rows. */
export class ProfileRowBuilder {
  #position = 0;

  /** Validates `record` and returns its staging row. */
  build(record: ProfileRecord): WriteValue[] {
    const position = ++this.#position;
    if (record === null || typeof record !== 'object') {
      throw new InvalidRecordError(position, 'record', 'must be an object');
    }
    const distinctId = toId(record.distinct_id, position, 'distinct_id', false);
    const properties = toPropertiesJson(record.properties, position);
    const lastSeen =
      record.last_seen === undefined || record.last_seen === null
        ? null
        : toDate(record.last_seen, position, 'last_seen');
    return [distinctId, properties, lastSeen, position];
  }
}
