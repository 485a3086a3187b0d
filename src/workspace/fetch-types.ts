/**
 * Options and results of `Workspace.fetchEvents`, `fetchProfiles`, `streamEvents` and
 * `streamProfiles`.
 */

/** Progress of a fetch, for progress bars. */
export interface FetchProgress {
  /** `fetching` while chunks stream in, `finishing` while a replaced table is swapped in, then `done`. */
  readonly phase: 'fetching' | 'finishing' | 'done';
  /** Chunks stored so far. */
  readonly chunksDone: number;
  /** Chunks that failed after the client's retries. */
  readonly chunksFailed: number;
  /** Chunks in the whole fetch (1 for profiles). */
  readonly chunksTotal: number;
  /** Records received so far: those of stored chunks plus those of the chunks being written. */
  readonly rows: number;
}

/** Options of `Workspace.fetchEvents`. */
export interface FetchEventsOptions {
  /** Table to write. Default `events`. */
  readonly name?: string;
  /** First day, inclusive, `YYYY-MM-DD` (a UTC day for projects created since 2023). */
  readonly fromDate: string;
  /** Last day, inclusive. A day after today is clamped to today. */
  readonly toDate: string;
  /** Only these event names (exact, case-sensitive). */
  readonly events?: readonly string[];
  /** Mixpanel `where` expression over event properties. */
  readonly where?: string;
  /** At most this many events per request (1..100000): a cap per chunk, never a way to page. */
  readonly limit?: number;
  /** Ask for `time` in milliseconds. A table keeps one precision: appends must match it. */
  readonly timeInMs?: boolean;
  /** Add to an existing table (created when missing); events already stored count as duplicates. */
  readonly append?: boolean;
  /** Build a new copy and swap it in atomically, only if every chunk succeeded. */
  readonly replace?: boolean;
  /** Fetch several chunks at once (default false). The client's rate limiter keeps within budget. */
  readonly parallel?: boolean;
  /** Chunks fetched at once when `parallel` (default 3, at most 100). */
  readonly workers?: number;
  /** Days per export request (1..100, default 1). */
  readonly chunkDays?: number;
  /** Records per batch handed to the database's bulk path (default 10,000). */
  readonly batchSize?: number;
  /** Called as chunks progress. */
  readonly onProgress?: (progress: FetchProgress) => void;
  /** Cancels requests, waits and the running write (which rolls back). */
  readonly signal?: AbortSignal;
}

/** The outcome of one chunk (one export request, retried as a unit). */
export interface FetchChunkResult {
  /** First day of the chunk, inclusive. */
  readonly fromDate: string;
  /** Last day of the chunk, inclusive. */
  readonly toDate: string;
  /** Records stored from this chunk. */
  readonly rows: number;
  /** Attempts made (1 when the first attempt succeeded). */
  readonly attempts: number;
  /** `ok` when stored, `failed` when the request kept failing (its days are not in the table). */
  readonly status: 'ok' | 'failed';
  /** Why the chunk failed (after the client's retries). */
  readonly error?: string;
}

/** What `Workspace.fetchEvents` did. */
export interface FetchResult {
  readonly table: string;
  /** Rows added to the table. */
  readonly rowsStored: number;
  /** Records not stored because an equal event (Mixpanel's dedup rule) was in the source or the table. */
  readonly duplicatesSkipped: number;
  /** `replace`: rows of the previous table that were swapped out. Otherwise 0. */
  readonly replacedRows: number;
  /** First day fetched. */
  readonly fromDate: string;
  /** Last day fetched (after clamping to today). */
  readonly toDate: string;
  /** Wall time of the whole fetch. */
  readonly durationMs: number;
  /** Every chunk in date order. */
  readonly chunks: readonly FetchChunkResult[];
  /** Number of chunks whose status is `failed` (their days are missing from the table). */
  readonly failedChunks: number;
}

/** Options of `Workspace.fetchProfiles`. */
export interface FetchProfilesOptions {
  /** Table to write. Default `profiles`. */
  readonly name?: string;
  /** Engage `where` expression over profile properties. */
  readonly where?: string;
  /** Only the members of this saved cohort. */
  readonly cohortId?: number | string;
  /** Only these properties (much faster on wide profiles). */
  readonly outputProperties?: readonly string[];
  /** Only these profiles. */
  readonly distinctIds?: readonly string[];
  /** Group profiles of this group key (`data_group_id`) instead of users. */
  readonly groupId?: string;
  /** Upsert into an existing table (created when missing): the newer `last_seen` wins. */
  readonly append?: boolean;
  /** Replace an existing table atomically. */
  readonly replace?: boolean;
  /** Records per batch handed to the database's bulk path (default 10,000). */
  readonly batchSize?: number;
  /** Called after every batch written (one chunk in total). */
  readonly onProgress?: (progress: FetchProgress) => void;
  /** Cancels the requests and the write (which rolls back). */
  readonly signal?: AbortSignal;
}

/** What `Workspace.fetchProfiles` did. */
export interface FetchProfilesResult {
  readonly table: string;
  /** Profiles added to the table. */
  readonly rowsStored: number;
  /** Stored profiles replaced by a newer copy (append). */
  readonly rowsUpdated: number;
  /** Profiles skipped: repeated in the source, or older than the stored copy (append). */
  readonly duplicatesSkipped: number;
  /** `replace`: profiles of the previous table that were swapped out. Otherwise 0. */
  readonly replacedRows: number;
  /** Wall time of the whole fetch. */
  readonly durationMs: number;
}

/** Options of `Workspace.streamEvents`. */
export interface StreamEventsOptions {
  /** First day, inclusive, `YYYY-MM-DD`. */
  readonly fromDate: string;
  /** Last day, inclusive; days after today are skipped. */
  readonly toDate: string;
  /** Only these event names. */
  readonly events?: readonly string[];
  /** Mixpanel `where` expression over event properties. */
  readonly where?: string;
  /** At most this many events per request (a cap per chunk). */
  readonly limit?: number;
  /** Ask for `time` in milliseconds (records then read it as ms). */
  readonly timeInMs?: boolean;
  /** Days per export request (1..100, default 1); chunks are streamed one after another, in date order. */
  readonly chunkDays?: number;
  /** Yield Mixpanel's raw `{ event, properties }` objects instead of event records. */
  readonly raw?: boolean;
  /** Cancels the running request. */
  readonly signal?: AbortSignal;
}

/** Options of `Workspace.streamProfiles`. */
export interface StreamProfilesOptions {
  /** Engage `where` expression over profile properties. */
  readonly where?: string;
  /** Only the members of this saved cohort. */
  readonly cohortId?: number | string;
  /** Only these properties. */
  readonly outputProperties?: readonly string[];
  /** Only these profiles. */
  readonly distinctIds?: readonly string[];
  /** Group profiles of this group key instead of users. */
  readonly groupId?: string;
  /** Yield the client's `{ distinct_id, properties }` profiles instead of profile records. */
  readonly raw?: boolean;
  /** Cancels the running request. */
  readonly signal?: AbortSignal;
}
