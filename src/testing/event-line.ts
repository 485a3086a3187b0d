import type { FakeEvent } from './fake-events.js';
import { type FakeJsonValue, quoteKey, quoteString, toJsonText } from './json-text.js';

/** An event as the export shows it: `{event, properties}`, with 64-bit integers as `bigint`. */
export interface FakeExportedEvent {
  readonly event: string;
  readonly properties: { readonly [key: string]: FakeJsonValue };
}

const quotedNames = new Map<string, string>();

/** The exported `time`: whole seconds (truncated), or ms with `time_in_ms=true`. */
export function exportedTime(event: FakeEvent, timeInMs: boolean): number {
  return timeInMs ? event.timeMs : Math.floor(event.timeMs / 1000);
}

/**
 * One export line, newline included. Built as a string directly (the export is benchmarked at
 * hundreds of thousands of lines per second); key order matches {@link exportedEvent}.
 */
export function renderEventLine(event: FakeEvent, timeInMs: boolean): string {
  let name = quotedNames.get(event.event);
  if (name === undefined) {
    name = JSON.stringify(event.event);
    quotedNames.set(event.event, name);
  }
  let line = `{"event":${name},"properties":{"time":${exportedTime(event, timeInMs)}`;
  if (event.distinctId !== undefined) line += `,"distinct_id":${quoteString(event.distinctId)}`;
  // Insert ids are generated from [0-9a-f-] only, so they need no escaping.
  if (event.insertId !== undefined) line += `,"$insert_id":"${event.insertId}"`;
  line += `,"mp_processing_time_ms":${event.processingTimeMs}`;
  const rest = event.rest;
  for (const key in rest) {
    const value = rest[key] as FakeJsonValue;
    line += `,${quoteKey(key)}:`;
    line += typeof value === 'string' ? quoteString(value) : toJsonText(value);
  }
  return `${line}}}\n`;
}

/** The same event as an object, in the key order of the line. */
export function exportedEvent(event: FakeEvent, timeInMs = false): FakeExportedEvent {
  const properties: Record<string, FakeJsonValue> = { time: exportedTime(event, timeInMs) };
  if (event.distinctId !== undefined) properties.distinct_id = event.distinctId;
  if (event.insertId !== undefined) properties.$insert_id = event.insertId;
  properties.mp_processing_time_ms = event.processingTimeMs;
  Object.assign(properties, event.rest);
  return { event: event.event, properties };
}
