import type { EventRecord, ProfileRecord } from '../engine/records.js';
import { InvalidRecordError } from '../errors.js';
import { parseJsonLossless } from '../mixpanel/lossless-json-line.js';
import { stringifyJson } from '../values/json-text.js';

/**
 * Events and profiles as Mixpanel's own JSON shapes, both ways, losslessly.
 *
 * An event row becomes Mixpanel's raw export shape — what `mp fetch events --stdout --raw` prints
 * and what Mixpanel's export API returns:
 *   `{"event": name, "properties": {…stored properties…, "time", "distinct_id", "$insert_id"}}`
 * A profile row becomes the Engage shape: `{"$distinct_id": id, "$properties": {…, "$last_seen"}}`.
 *
 * The columns are derived from those properties on import (`time` in seconds → `event_time`,
 * `distinct_id`, `$insert_id`; `$last_seen` → `last_seen`). Data fetched from Mixpanel already holds
 * them, so its lines are exactly Mixpanel's. When the stored properties lack one of them, or hold a
 * value that would not derive the stored column (a millisecond `time`, a numeric `distinct_id`…),
 * the line sets the key from the column and records what was there in a top-level
 * `"$mp_restore": {"absent": [keys], "replaced": {key: original}, "nullProperties": true}` member
 * (each part only when needed), which the importer applies, so the re-imported properties are
 * exactly the stored ones. Mixpanel-shaped readers ignore that member. `time` is in seconds, with a
 * fraction when the event has milliseconds (`1717236000.123`).
 */

export const RESTORE_KEY = '$mp_restore';

interface Restore {
  absent: string[];
  replaced: Record<string, unknown>;
  nullProperties: boolean;
}

function parseProperties(text: unknown): Record<string, unknown> | null {
  if (text === null || text === undefined) return null;
  const value = typeof text === 'string' ? parseJsonLossless(text) : text;
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** Sets `key` to `wanted` unless the stored value already derives `column`; records the original. */
function settle(
  out: Record<string, unknown>,
  restore: Restore,
  key: string,
  wanted: unknown,
  derives: (value: unknown) => boolean,
): void {
  if (Object.hasOwn(out, key)) {
    if (derives(out[key])) return;
    restore.replaced[key] = out[key];
  } else {
    if (derives(undefined)) return;
    restore.absent.push(key);
  }
  out[key] = wanted;
}

function withRestore(line: Record<string, unknown>, restore: Restore): Record<string, unknown> {
  const parts: Record<string, unknown> = {};
  if (restore.absent.length > 0) parts.absent = restore.absent;
  if (Object.keys(restore.replaced).length > 0) parts.replaced = restore.replaced;
  if (restore.nullProperties) parts.nullProperties = true;
  if (Object.keys(parts).length > 0) line[RESTORE_KEY] = parts;
  return line;
}

/** Mixpanel's `time` (seconds, or ms with `timeInMs`) → epoch ms, rounding float noise away. */
export function mixpanelTimeMs(value: unknown, timeInMs: boolean): number {
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number.NaN;
  return timeInMs ? Math.round(n) : Math.round(n * 1000);
}

/** `distinct_id` as the events table stores it ('' when absent). */
export function idText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return stringifyJson(value);
}

/** `$insert_id` as a record's insert id (null: the engine derives one). */
function insertIdOf(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}

/** One derived key: the value the column wants, and whether a stored value already derives it. */
interface KeySpec {
  readonly key: string;
  readonly wanted: unknown;
  readonly derives: (value: unknown) => boolean;
}

function eventSpecs(row: readonly unknown[]): KeySpec[] {
  const [, time, distinctId, insertId] = row;
  const ms = (time as Date).getTime();
  return [
    { key: 'time', wanted: ms / 1000, derives: (v) => v !== undefined && mixpanelTimeMs(v, false) === ms },
    { key: 'distinct_id', wanted: distinctId, derives: (v) => idText(v) === distinctId },
    { key: '$insert_id', wanted: insertId, derives: (v) => insertIdOf(v) === insertId },
  ];
}

function rowToRaw(
  propertiesText: unknown,
  specs: readonly KeySpec[],
  shape: (properties: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  const stored = parseProperties(propertiesText);
  const restore: Restore = { absent: [], replaced: {}, nullProperties: stored === null };
  const out: Record<string, unknown> = stored === null ? {} : { ...stored };
  for (const spec of specs) settle(out, restore, spec.key, spec.wanted, spec.derives);
  return withRestore(shape(out), restore);
}

/**
 * The fast path of a line: the stored properties text is kept as it is (no lossless re-parse and
 * re-serialisation of every value) when the derived keys are either already right or absent; absent
 * ones are appended before the closing brace. Null when the general path is needed (a key to
 * replace, a derived key holding a number a double may have rounded, or text that is not an object).
 */
function spliceProperties(text: string, specs: readonly KeySpec[]): { text: string; restore: string } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  const absent: string[] = [];
  let additions = '';
  for (const { key, wanted, derives } of specs) {
    if (Object.hasOwn(record, key)) {
      const value = record[key];
      if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) return null;
      if (!derives(value)) return null;
    } else if (!derives(undefined)) {
      absent.push(key);
      additions += `,${JSON.stringify(key)}:${JSON.stringify(wanted)}`;
    }
  }
  if (absent.length === 0) return { text, restore: '' };
  const close = text.lastIndexOf('}');
  const body = Object.keys(record).length === 0 ? additions.slice(1) : additions;
  return {
    text: text.slice(0, close) + body + text.slice(close),
    restore: `,${JSON.stringify(RESTORE_KEY)}:{"absent":${JSON.stringify(absent)}}`,
  };
}

/** An events-table row (`event_name, event_time, distinct_id, insert_id, properties`) as a raw event object. */
export function eventRowToRaw(row: readonly unknown[]): Record<string, unknown> {
  return rowToRaw(row[4], eventSpecs(row), (properties) => ({ event: row[0], properties }));
}

/** An events-table row as one JSON line of Mixpanel's raw export shape (with its `\n`). */
export function eventRowToLine(row: readonly unknown[]): string {
  const text = row[4];
  const spliced = typeof text === 'string' ? spliceProperties(text, eventSpecs(row)) : null;
  if (spliced === null) return `${stringifyJson(eventRowToRaw(row))}\n`;
  return `{"event":${JSON.stringify(row[0])},"properties":${spliced.text}${spliced.restore}}\n`;
}

/** Mixpanel's `$last_seen` text (no offset, UTC) for a Date. */
function lastSeenText(date: Date): string {
  const iso = date.toISOString();
  return date.getUTCMilliseconds() === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
}

/** `$last_seen` → Date (text without an offset is UTC); null when absent or unreadable. */
export function profileTime(value: unknown): Date | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim().replace(' ', 'T');
  const date = new Date(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(text) || !text.includes('T') ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function profileSpecs(row: readonly unknown[]): KeySpec[] {
  const lastSeen = row[2];
  const seen = lastSeen instanceof Date ? lastSeen.getTime() : null;
  return [
    {
      key: '$last_seen',
      wanted: seen === null ? null : lastSeenText(lastSeen as Date),
      derives: (v) => (profileTime(v)?.getTime() ?? null) === seen,
    },
  ];
}

/** A profiles-table row (`distinct_id, properties, last_seen`) as an Engage profile object. */
export function profileRowToRaw(row: readonly unknown[]): Record<string, unknown> {
  return rowToRaw(row[1], profileSpecs(row), (properties) => ({
    $distinct_id: row[0],
    $properties: properties,
  }));
}

/** A profiles-table row as one JSON line of the Engage shape (with its `\n`). */
export function profileRowToLine(row: readonly unknown[]): string {
  const text = row[1];
  const spliced = typeof text === 'string' ? spliceProperties(text, profileSpecs(row)) : null;
  if (spliced === null) return `${stringifyJson(profileRowToRaw(row))}\n`;
  return `{"$distinct_id":${JSON.stringify(row[0])},"$properties":${spliced.text}${spliced.restore}}\n`;
}

/** Applies a line's `$mp_restore` member to the properties read from it. */
function restoredProperties(
  properties: Record<string, unknown>,
  line: Record<string, unknown>,
): Record<string, unknown> | null {
  const restore = line[RESTORE_KEY] as Partial<Restore> | undefined;
  if (restore === undefined || restore === null || typeof restore !== 'object') return properties;
  if (restore.nullProperties === true) return null;
  const out = { ...properties };
  for (const key of Array.isArray(restore.absent) ? restore.absent : []) delete out[String(key)];
  if (restore.replaced && typeof restore.replaced === 'object') Object.assign(out, restore.replaced);
  return out;
}

function objectField(line: Record<string, unknown>, key: string, position: number): Record<string, unknown> {
  const value = line[key];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRecordError(position, key, 'must be an object');
  }
  return value as Record<string, unknown>;
}

/** A raw Mixpanel event line (`{event, properties}`) as an events-table record. */
export function rawEventToRecord(
  line: Record<string, unknown>,
  position: number,
  timeInMs: boolean,
): EventRecord {
  const properties = objectField(line, 'properties', position);
  const ms = mixpanelTimeMs(properties.time, timeInMs);
  if (!Number.isFinite(ms))
    throw new InvalidRecordError(position, 'properties.time', 'must be a number (seconds)');
  return {
    event_name: line.event as string,
    event_time: ms,
    distinct_id: idText(properties.distinct_id),
    insert_id: insertIdOf(properties.$insert_id),
    properties: restoredProperties(properties, line),
  };
}

/** An Engage profile line (`{$distinct_id, $properties}`) as a profiles-table record. */
export function rawProfileToRecord(line: Record<string, unknown>, position: number): ProfileRecord {
  const properties = objectField(line, '$properties', position);
  const id = line.$distinct_id;
  return {
    distinct_id: typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint' ? id : idText(id),
    properties: restoredProperties(properties, line),
    last_seen: profileTime(properties.$last_seen),
  };
}
