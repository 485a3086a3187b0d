/**
 * The records callers feed to `create*Table` / `append*Table`, and the metadata stored with a table.
 */

/** A time value: a `Date`, an ISO-8601 string, or epoch milliseconds. */
export type TimeInput = Date | string | number;

/** One event occurrence. Extra keys are ignored. */
export interface EventRecord {
  /** The event's name, e.g. `Purchase`. Required, non-empty. */
  readonly event_name: string;
  /** When it happened (UTC). */
  readonly event_time: TimeInput;
  /** The user's id; `''` (or missing) for events with no user, as Mixpanel allows. */
  readonly distinct_id?: string | number | bigint | null;
  /**
   * Mixpanel's `$insert_id`. When missing, a deterministic id is derived from the event's content
   * and its occurrence number in the source, so re-ingesting the same data stores it once.
   */
  readonly insert_id?: string | null;
  /** Any JSON-compatible object; `bigint` values are stored with their exact digits. */
  readonly properties?: Readonly<Record<string, unknown>> | null;
}

/** One user (or group) profile. */
export interface ProfileRecord {
  readonly distinct_id: string | number | bigint;
  readonly properties?: Readonly<Record<string, unknown>> | null;
  /** When the profile was last seen; decides which copy wins on upsert (newer wins). */
  readonly last_seen?: TimeInput | null;
}

/** What kind of data a table holds. */
export type TableType = 'events' | 'profiles';

/** Metadata passed when creating a table (seed 003's `TableMetadata`). */
export interface TableMetadata {
  readonly type: TableType;
  /** When the data was fetched. Default: now. */
  readonly fetchedAt?: Date;
  /** First day covered, `YYYY-MM-DD`. */
  readonly fromDate?: string | null;
  /** Last day covered, `YYYY-MM-DD`. */
  readonly toDate?: string | null;
  /** The filters used to fetch (event names, where expression, cohort...), stored as JSON. */
  readonly filters?: Readonly<Record<string, unknown>> | null;
  /** Where the data came from, e.g. the API base URL (never credentials). */
  readonly source?: string | null;
}

/** Metadata as stored in `_metadata`, read back by `getMetadata()`. */
export interface StoredTableMetadata {
  readonly tableName: string;
  readonly type: TableType;
  readonly fetchedAt: Date;
  readonly fromDate: string | null;
  readonly toDate: string | null;
  readonly rowCount: number;
  readonly filters: Record<string, unknown> | null;
  readonly source: string | null;
  readonly packageVersion: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Progress and cancellation for ingestion. */
export interface IngestOptions {
  /** Called with the number of records read so far, every `batchSize` records and once at the end. */
  readonly onProgress?: (rows: number) => void;
  /** Records between progress reports, and the most handed to the native bulk path at once. Default 10,000. */
  readonly batchSize?: number;
  /** Aborting rolls the whole write back; the database is left as it was. */
  readonly signal?: AbortSignal;
}

/** Options of `create*Table`. */
export interface CreateTableOptions extends IngestOptions {
  /** Replace an existing table atomically (readers see the old table until the new one is complete). */
  readonly replace?: boolean;
}

/** Result of an append. */
export interface AppendResult {
  /** Rows added to the table. */
  readonly inserted: number;
  /** Profiles only: stored profiles replaced by a newer copy. Always 0 for events. */
  readonly updated: number;
  /** Records skipped as duplicates (already stored, or repeated within the source). */
  readonly duplicates: number;
  /** Events only: stored rows removed by `replaceRange` before the insert. Otherwise 0. */
  readonly replaced: number;
}
