import type { SqlParams } from '../backend/backend.js';
import type { ResultSet } from '../backend/result-set.js';
import type { EventRecord, ProfileRecord } from '../engine/records.js';
import type { ColumnInfo, ExecuteOptions, StorageEngine, TableInfo } from '../engine/storage-engine.js';
import { ReadOnlyError, TableExistsError } from '../errors.js';
import type {
  Cohort,
  EventNamesParams,
  ExportPlan,
  FunnelParams,
  FunnelResult,
  FunnelSummary,
  MixpanelClient,
  Profile,
  PropertyValuesParams,
  RawEvent,
  RetentionParams,
  RetentionResult,
  SegmentationParams,
  SegmentationResult,
  TopEventsParams,
  TopEventsResult,
  TopPropertiesParams,
  TopProperty,
} from '../mixpanel/index.js';
import { throwIfAborted } from '../util/abort.js';
import { checkAppendTarget, fetchEventChunks } from './fetch-events.js';
import { resolveFetchEvents } from './fetch-options.js';
import { fetchProfilesInto, resolveFetchProfiles } from './fetch-profiles.js';
import { checkStreamEvents, streamEventChunks, streamProfilePages } from './fetch-stream.js';
import type {
  FetchEventsOptions,
  FetchProfilesOptions,
  FetchProfilesResult,
  FetchResult,
  StreamEventsOptions,
  StreamProfilesOptions,
} from './fetch-types.js';
import * as introspection from './introspection/index.js';
import type { WorkspaceOptions } from './workspace-options.js';
import { WorkspaceResources } from './workspace-resources.js';

/**
 * One Mixpanel project and its local database: fetch events and profiles into tables, query them
 * with SQL, and call Mixpanel's discovery and live-report APIs.
 *
 * Everything is lazy. Credentials are resolved on the first API call; the database is opened on the
 * first fetch, SQL query or introspection call. Discovery and live queries never open the database,
 * so they work while another process holds its write lock, and a workspace used only for SQL on an
 * explicit `path` needs no credentials at all.
 *
 * ```ts
 * await using ws = new Workspace();                      // account from ~/.mp/config.toml or MP_* env
 * await ws.fetchEvents({ fromDate: '2024-06-01', toDate: '2024-06-30' });
 * const top = await ws.sql('SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC');
 * ```
 */
export class Workspace implements AsyncDisposable {
  readonly #resources: WorkspaceResources;

  /** Describes the workspace; nothing is resolved or opened until first use. */
  constructor(options: WorkspaceOptions = {}) {
    this.#resources = new WorkspaceResources(options);
  }

  /** A workspace whose database is a throwaway file, removed on `close()` and when the process ends. */
  static ephemeral(
    options: Omit<WorkspaceOptions, 'ephemeral' | 'inMemory' | 'path' | 'readOnly'> = {},
  ): Workspace {
    return new Workspace({ ...options, ephemeral: true });
  }

  // ---- resources ----------------------------------------------------------------------------

  /** The storage engine, opened on first call (later calls return the same engine). */
  storage(): Promise<StorageEngine> {
    return this.#resources.storage();
  }

  /** The Mixpanel client, built from the credentials on first call. */
  client(): MixpanelClient {
    return this.#resources.client();
  }

  /** Closes the database if it was opened (an ephemeral one is removed); idempotent. */
  close(): Promise<void> {
    return this.#resources.close();
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- discovery and live queries (never open the database) --------------------------------

  /** Names of the events seen in the last 31 days, most frequent first (`/events/names`). */
  async events(params: EventNamesParams = {}): Promise<string[]> {
    return this.client().eventNames(params);
  }

  /** Today's top events with their change since yesterday (`/events/top`). */
  async topEvents(params: TopEventsParams = {}): Promise<TopEventsResult> {
    return this.client().topEvents(params);
  }

  /**
   * The most common properties of an event (`/events/properties/top`); `count` may be undefined.
   * Takes the event name (with options) or the full parameters.
   */
  async properties(
    event: string | TopPropertiesParams,
    options: Omit<TopPropertiesParams, 'event'> = {},
  ): Promise<TopProperty[]> {
    return this.client().topProperties(typeof event === 'string' ? { ...options, event } : event);
  }

  /** The top values of a property, as strings (`/events/properties/values`). */
  async propertyValues(params: PropertyValuesParams): Promise<string[]> {
    return this.client().propertyValues(params);
  }

  /** Saved funnels (`/funnels/list`). */
  async funnels(options: { signal?: AbortSignal } = {}): Promise<FunnelSummary[]> {
    return this.client().funnels(options);
  }

  /** Saved cohorts (`/cohorts/list`). */
  async cohorts(options: { signal?: AbortSignal } = {}): Promise<Cohort[]> {
    return this.client().cohorts(options);
  }

  /** Event counts per time bucket (`/segmentation`), optionally segmented with `on`. */
  async segmentation(params: SegmentationParams): Promise<SegmentationResult> {
    return this.client().segmentation(params);
  }

  /** One saved funnel's steps per date bucket (`/funnels`). */
  async funnel(params: FunnelParams): Promise<FunnelResult> {
    return this.client().funnel(params);
  }

  /** Retention per cohort date (`/retention`). */
  async retention(params: RetentionParams): Promise<RetentionResult> {
    return this.client().retention(params);
  }

  /**
   * What fetching a range would cost: its export requests and the least time they take under the
   * hourly budget. Sends nothing.
   */
  planFetch(fromDate: string, toDate: string, chunkDays = 1): ExportPlan {
    return this.client().planExport(fromDate, toDate, chunkDays);
  }

  // ---- fetching -----------------------------------------------------------------------------

  /**
   * Fetches the raw events of `fromDate..toDate` (inclusive days) into table `name` (default
   * `events`): one export request per `chunkDays` days, several at once with `parallel`, each chunk
   * written in one transaction so a failed or retried stream never leaves duplicates or a partial day.
   *
   * - Without `append` or `replace`, an existing table is a `TableExistsError`, raised before any
   *   request is sent. `append` adds to the table (events already stored count as duplicates);
   *   `replace` builds a new copy under a temporary name and swaps it in only when every chunk
   *   succeeded.
   * - A chunk that still fails after the client's retries is listed in `chunks` with
   *   `status: 'failed'`, the other chunks are stored, and the result has `failedChunks > 0`
   *   (create and append do not throw, unless no chunk succeeded). With `replace`, the old table
   *   stays untouched and an `ApiError` listing the failed chunks is thrown.
   * - Authentication and permission errors, other non-retryable API errors, aborts and storage
   *   errors stop the fetch and are thrown; chunks already stored stay (except with `replace`).
   *
   * @throws InvalidArgumentError for bad dates, `append` with `replace`, or out-of-range options
   * @throws ReadOnlyError when the workspace was opened read-only
   */
  async fetchEvents(options: FetchEventsOptions): Promise<FetchResult> {
    const o = resolveFetchEvents(options);
    throwIfAborted(options.signal, 'Fetching events');
    // Credentials first: without them no database file is created as a side effect.
    const client = this.client();
    const storage = await this.storage();
    if (storage.readOnly) throw new ReadOnlyError('fetch events');
    const tableExists = await storage.tableExists(o.name);
    if (tableExists && o.mode === 'create') throw new TableExistsError(o.name);
    if (tableExists && o.mode === 'append') await checkAppendTarget(storage, o.name, o.timeInMs);
    return fetchEventChunks({ storage, client, today: this.#resources.today(), tableExists }, o, options);
  }

  /**
   * Fetches user (or, with `groupId`, group) profiles into table `name` (default `profiles`) in one
   * transaction. Without `append` or `replace`, an existing table is a `TableExistsError` raised
   * before any request; `append` upserts (the newer `last_seen` wins); `replace` swaps atomically.
   *
   * @throws ReadOnlyError when the workspace was opened read-only
   */
  async fetchProfiles(options: FetchProfilesOptions = {}): Promise<FetchProfilesResult> {
    const name = resolveFetchProfiles(options);
    throwIfAborted(options.signal, 'Fetching profiles');
    const client = this.client();
    const storage = await this.storage();
    if (storage.readOnly) throw new ReadOnlyError('fetch profiles');
    return fetchProfilesInto(storage, client, name, options);
  }

  /**
   * Streams the events of a range without any database: Mixpanel's raw `{ event, properties }`
   * objects with `raw: true`, else event records (`event_name`, `event_time`, `distinct_id`,
   * `insert_id`, `properties`). Chunks come one after another in date order; a stream that fails
   * after its first event throws (a retryable `ApiError`): nothing already yielded is repeated.
   */
  streamEvents(options: StreamEventsOptions & { raw: true }): AsyncIterable<RawEvent>;
  streamEvents(options: StreamEventsOptions & { raw?: false }): AsyncIterable<EventRecord>;
  streamEvents(options: StreamEventsOptions): AsyncIterable<RawEvent | EventRecord>;
  streamEvents(options: StreamEventsOptions): AsyncIterable<RawEvent | EventRecord> {
    checkStreamEvents(options);
    return streamEventChunks(this.client(), options, this.#resources.today());
  }

  /** Streams the matching profiles without any database (raw client profiles with `raw: true`). */
  streamProfiles(options: StreamProfilesOptions & { raw: true }): AsyncIterable<Profile>;
  streamProfiles(options?: StreamProfilesOptions & { raw?: false }): AsyncIterable<ProfileRecord>;
  streamProfiles(options?: StreamProfilesOptions): AsyncIterable<Profile | ProfileRecord>;
  streamProfiles(options: StreamProfilesOptions = {}): AsyncIterable<Profile | ProfileRecord> {
    return streamProfilePages(this.client(), options);
  }

  // ---- SQL ----------------------------------------------------------------------------------

  /** Runs SQL on the local database and returns the rows as plain objects. */
  async sql(
    sql: string,
    params?: SqlParams,
    options: ExecuteOptions = {},
  ): Promise<Record<string, unknown>[]> {
    return (await this.storage()).executeObjects(sql, params, options);
  }

  /** The first column of the first row, or `null` when there is no row. */
  async sqlScalar(sql: string, params?: SqlParams, options: ExecuteOptions = {}): Promise<unknown> {
    return (await this.storage()).executeScalar(sql, params, options);
  }

  /** Runs SQL and returns `{ columns, rows }` with rows as arrays in column order. */
  async sqlRows(sql: string, params?: SqlParams, options: ExecuteOptions = {}): Promise<ResultSet> {
    return (await this.storage()).executeRows(sql, params, options);
  }

  // ---- introspection (local database) -------------------------------------------------------

  /** The backend, location, table count, total rows and size of the database. */
  async info(): Promise<introspection.DatabaseInfo> {
    return introspection.info(await this.storage());
  }

  /** User tables with their type, row count and fetched range. */
  async tables(): Promise<TableInfo[]> {
    return introspection.tables(await this.storage());
  }

  /** The columns of a table. */
  async tableSchema(table: string): Promise<readonly ColumnInfo[]> {
    return introspection.tableSchema(await this.storage(), table);
  }

  /** A few rows of a table. */
  async sample(table: string, options: introspection.SampleOptions = {}): Promise<Record<string, unknown>[]> {
    return introspection.sample(await this.storage(), table, options);
  }

  /** Per-column counts, nulls, distinct values, min, max and mean. */
  async summarize(
    table: string,
    options: introspection.SummarizeOptions = {},
  ): Promise<introspection.ColumnSummary[]> {
    return introspection.summarize(await this.storage(), table, options);
  }

  /** Per event name of an events table: rows, users, first and last time, share. */
  async eventBreakdown(
    table: string,
    options: introspection.EventBreakdownOptions = {},
  ): Promise<introspection.EventBreakdownRow[]> {
    return introspection.eventBreakdown(await this.storage(), table, options);
  }

  /** The keys of a table's `properties` JSON with their counts and value types. */
  async propertyKeys(
    table: string,
    options: introspection.PropertyKeysOptions = {},
  ): Promise<introspection.PropertyKeyInfo[]> {
    return introspection.propertyKeys(await this.storage(), table, options);
  }

  /** Counts, nulls, distinct and top values of a column or of one `properties` key. */
  async columnStats(
    table: string,
    expression: string,
    options: introspection.ColumnStatsOptions = {},
  ): Promise<introspection.ColumnStats> {
    return introspection.columnStats(await this.storage(), table, expression, options);
  }

  /** Drops a table with its metadata; resolves to the names dropped. */
  async drop(table: string): Promise<string[]> {
    return introspection.drop(await this.storage(), table);
  }

  /** Drops every user table (or those of one type); resolves to the names dropped. */
  async dropAll(options: introspection.DropAllOptions = {}): Promise<string[]> {
    return introspection.dropAll(await this.storage(), options);
  }
}
