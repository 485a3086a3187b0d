import type { EventRecord, ProfileRecord } from '../engine/records.js';
import { InvalidArgumentError } from '../errors.js';
import { checkDateRange } from '../mixpanel/dates.js';
import {
  MAX_DAYS_PER_EXPORT,
  type MixpanelClient,
  type Profile,
  type RawEvent,
  splitRange,
} from '../mixpanel/index.js';
import { toEventRecord, toProfileRecord } from './fetch-event-transform.js';
import { checkInteger } from './fetch-options.js';
import { profileQuery } from './fetch-profiles.js';
import type { StreamEventsOptions, StreamProfilesOptions } from './fetch-types.js';

/** Validates stream options at call time, so a bad argument throws before iteration starts. */
export function checkStreamEvents(options: StreamEventsOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('streamEvents needs an options object with fromDate and toDate.');
  }
  checkDateRange(options.fromDate, options.toDate);
  checkInteger(options.chunkDays ?? 1, 'chunkDays', 1, MAX_DAYS_PER_EXPORT);
}

/**
 * The events of a range, chunk after chunk in date order, without any database. A chunk's request
 * is retried by the client only until its first event was yielded; a failure after that throws (a
 * retryable `ApiError` with `details.linesRead`), because yielded events cannot be taken back.
 */
export async function* streamEventChunks(
  client: MixpanelClient,
  options: StreamEventsOptions,
  today: string | undefined,
): AsyncGenerator<RawEvent | EventRecord> {
  const timeInMs = options.timeInMs ?? false;
  // Days after today hold nothing yet; the client would refuse a chunk that starts after today.
  const toDate = today !== undefined && options.toDate > today ? today : options.toDate;
  if (options.fromDate > toDate) return;
  for (const range of splitRange(options.fromDate, toDate, options.chunkDays ?? 1)) {
    const events = client.exportEvents({
      ...range,
      ...(options.events === undefined ? {} : { events: options.events }),
      ...(options.where === undefined ? {} : { where: options.where }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      timeInMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    for await (const raw of events) yield options.raw ? raw : toEventRecord(raw, timeInMs);
  }
}

/** The matching profiles, in page order, without any database. */
export async function* streamProfilePages(
  client: MixpanelClient,
  options: StreamProfilesOptions,
): AsyncGenerator<Profile | ProfileRecord> {
  for await (const profile of client.queryProfiles(profileQuery(options))) {
    yield options.raw ? profile : toProfileRecord(profile);
  }
}
