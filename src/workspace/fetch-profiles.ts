import type { StorageEngine } from '../engine/storage-engine.js';
import { assertUserTableName } from '../engine/table-name.js';
import { TableExistsError } from '../errors.js';
import type { MixpanelClient, ProfileQueryParams } from '../mixpanel/index.js';
import { toProfileRecords } from './fetch-event-transform.js';
import { checkInteger, fetchMode } from './fetch-options.js';
import type { FetchProfilesOptions, FetchProfilesResult, StreamProfilesOptions } from './fetch-types.js';

/** The Engage query for a profiles fetch or stream. */
export function profileQuery(options: StreamProfilesOptions | FetchProfilesOptions): ProfileQueryParams {
  return {
    ...(options.where === undefined ? {} : { where: options.where }),
    ...(options.cohortId === undefined ? {} : { cohortId: options.cohortId }),
    ...(options.outputProperties === undefined ? {} : { outputProperties: options.outputProperties }),
    ...(options.distinctIds === undefined ? {} : { distinctIds: options.distinctIds }),
    ...(options.groupId === undefined ? {} : { groupId: options.groupId }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}

/** Validates `fetchProfiles` options before anything is opened or sent; returns the table name. */
export function resolveFetchProfiles(options: FetchProfilesOptions): string {
  const name = options.name ?? 'profiles';
  assertUserTableName(name);
  fetchMode(options);
  if (options.batchSize !== undefined) checkInteger(options.batchSize, 'batchSize', 1, 10_000_000);
  return name;
}

/**
 * Streams the matching profiles into a table in ONE storage transaction: a failure part-way
 * (after the client's own retries of each page) leaves the database as it was. Create fails with
 * `TableExistsError` before any request when the table exists; `replace` swaps the new table in
 * only once complete; `append` upserts (the newer `last_seen` wins) and creates a missing table.
 */
export async function fetchProfilesInto(
  storage: StorageEngine,
  client: MixpanelClient,
  name: string,
  options: FetchProfilesOptions,
): Promise<FetchProfilesResult> {
  const started = performance.now();
  const mode = fetchMode(options);
  const exists = await storage.tableExists(name);
  if (mode === 'create' && exists) throw new TableExistsError(name);
  const source = toProfileRecords(client.queryProfiles(profileQuery(options)));
  let read = 0;
  const report = (rows: number) => {
    read = rows;
    options.onProgress?.({ phase: 'fetching', chunksDone: 0, chunksFailed: 0, chunksTotal: 1, rows });
  };
  const ingest = {
    onProgress: report,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const fetchedAt = new Date();
  let stored: number;
  let updated = 0;
  let replacedRows = 0;
  if (mode === 'append' && exists) {
    const result = await storage.appendProfilesTable(name, source, { ...ingest, fetchedAt });
    stored = result.inserted;
    updated = result.updated;
  } else {
    if (mode === 'replace' && exists) {
      replacedRows = Number(
        await storage.executeScalar(`SELECT count(*) FROM ${storage.dialect.quoteIdentifier(name)}`),
      );
    }
    const metadata = {
      type: 'profiles' as const,
      fetchedAt,
      filters: {
        where: options.where ?? null,
        cohortId: options.cohortId === undefined ? null : String(options.cohortId),
        outputProperties: options.outputProperties ?? null,
        distinctIds: options.distinctIds?.length ?? null,
        groupId: options.groupId ?? null,
      },
      source: client.describe().baseUrls.engage,
    };
    stored = await storage.createProfilesTable(name, source, metadata, {
      ...ingest,
      replace: mode === 'replace',
    });
  }
  options.onProgress?.({ phase: 'done', chunksDone: 1, chunksFailed: 0, chunksTotal: 1, rows: read });
  return {
    table: name,
    rowsStored: stored,
    rowsUpdated: updated,
    duplicatesSkipped: read - stored - updated,
    replacedRows,
    durationMs: Math.round(performance.now() - started),
  };
}
