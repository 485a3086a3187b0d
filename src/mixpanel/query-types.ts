/**
 * Parameters and results of the Query API calls (discovery, segmentation, funnels, retention,
 * cohorts) and of Engage. Result types mirror Mixpanel's wire format (snake_case), with the quirks
 * of section 5 absorbed: see each type.
 */

/** Common option of every call. */
export interface CallOptions {
  /** Cancels rate-limit waits, retry sleeps and the running request at once. */
  signal?: AbortSignal;
}

/** Aggregation type of the event endpoints. */
export type EventCountType = 'general' | 'unique' | 'average';

/** `GET /events/names`. */
export interface EventNamesParams extends CallOptions {
  /** Default `general`. */
  type?: EventCountType;
  /** Default 255 (the server clamps at 5000). */
  limit?: number;
}

/** `GET /events/top`. */
export interface TopEventsParams extends CallOptions {
  type?: EventCountType;
  /** Default 100. */
  limit?: number;
}

/** One row of `/events/top`. */
export interface TopEvent {
  event: string;
  amount: number;
  percent_change: number;
}

/** `/events/top` result. */
export interface TopEventsResult {
  events: TopEvent[];
  type: string;
}

/** `GET /events/properties/top`. */
export interface TopPropertiesParams extends CallOptions {
  event: string;
  /** Default 10. */
  limit?: number;
}

/** One property from `/events/properties/top`; `count` is absent when the server sent `{}`. */
export interface TopProperty {
  name: string;
  count: number | undefined;
}

/** `GET /events/properties/values`. */
export interface PropertyValuesParams extends CallOptions {
  /** The event whose property is read; omit for all events. */
  event?: string;
  /** Property name. */
  name: string;
  /** Default 255. */
  limit?: number;
}

/** Time unit of segmentation buckets. */
export type SegmentationUnit = 'minute' | 'hour' | 'day' | 'month';

/** `GET /segmentation`. */
export interface SegmentationParams extends CallOptions {
  event: string;
  fromDate: string;
  /** Clamped to today with a warning. */
  toDate: string;
  unit?: SegmentationUnit;
  type?: EventCountType;
  /** Segment expression, e.g. `properties["plan"]`. */
  on?: string;
  where?: string;
  /** Segments returned with `on` (default 60, max 10000). */
  limit?: number;
}

/** `/segmentation` result, normalised: `series` sorted, every series date present in every segment (missing = 0). */
export interface SegmentationResult {
  data: {
    series: string[];
    /** Segment (or event name) → date → count. */
    values: Record<string, Record<string, number>>;
  };
  legend_size: number;
}

/** One saved funnel from `/funnels/list`. */
export interface FunnelSummary {
  funnel_id: number;
  name: string;
}

/** `GET /funnels`. */
export interface FunnelParams extends CallOptions {
  funnelId: number;
  fromDate: string;
  toDate: string;
  /** Conversion window length (≤ 90 days). */
  length?: number;
  lengthUnit?: 'second' | 'minute' | 'hour' | 'day';
  interval?: number;
  unit?: 'day' | 'week' | 'month';
  on?: string;
  where?: string;
  limit?: number;
}

/** One funnel step. `avg_time` (seconds, unit unverified) is null or a number, even on step 1. */
export interface FunnelStep {
  count: number;
  avg_time: number | null;
  avg_time_from_start: number | null;
  step_conv_ratio: number;
  overall_conv_ratio: number;
  goal: string;
  event: string;
  custom_event?: boolean;
  custom_event_id?: number;
  step_label?: string;
  [key: string]: unknown;
}

/** Funnel analysis of one date bucket. */
export interface FunnelAnalysis {
  completion: number;
  starting_amount: number;
  steps: number;
  worst: number;
  [key: string]: unknown;
}

/** `/funnels` result. */
export interface FunnelResult {
  meta: { dates: string[] };
  data: Record<string, { steps: FunnelStep[]; analysis: FunnelAnalysis }>;
}

/** `GET /retention`. */
export interface RetentionParams extends CallOptions {
  fromDate: string;
  toDate: string;
  /** Default `birth`. */
  retentionType?: 'birth' | 'compounded';
  /** Required for `birth`. */
  bornEvent?: string;
  event?: string;
  bornWhere?: string;
  where?: string;
  interval?: number;
  intervalCount?: number;
  unit?: 'day' | 'week' | 'month';
  unboundedRetention?: boolean;
  on?: string;
  limit?: number;
}

/** One cohort row: `counts[0]` is the 0th interval. */
export interface RetentionRow {
  counts: number[];
  first: number;
}

/** `/retention` result: cohort date → row. */
export type RetentionResult = Record<string, RetentionRow>;

/** One saved cohort from `POST /cohorts/list`. */
export interface Cohort {
  id: number;
  name: string;
  count: number;
  description: string;
  created: string;
  is_visible: number | boolean;
  project_id: number;
  [key: string]: unknown;
}

/** `POST /engage`: which profiles to read. */
export interface ProfileQueryParams extends CallOptions {
  /** Expression over profile properties. */
  where?: string;
  /** Only these properties (much faster on wide profiles). */
  outputProperties?: readonly string[];
  /** A single profile. */
  distinctId?: string;
  /** Several profiles; de-duplicated, order kept. An empty list returns nothing without a request. */
  distinctIds?: readonly string[];
  /** `filter_by_cohort`; cannot be combined with `behaviors`. */
  cohortId?: number | string;
  /** With `cohortId` only. Default (server) `true`: include members without a profile. */
  includeAllUsers?: boolean;
  /** `data_group_id`: read group profiles of this group key. Always a string. */
  groupId?: string;
  /** Event-based selector; cannot be combined with `cohortId`. */
  behaviors?: string;
  /** Point in time (epoch seconds) for `behaviors`. */
  asOfTimestamp?: number;
  /** `page_size` to request; not sent by default (the server uses 1000). */
  pageSize?: number;
  /** Fetch pages 1..n concurrently once page 0 is in (still yielded in order). Default true. */
  parallel?: boolean;
  /** Pages in flight at once in parallel mode. Default 4. */
  maxParallelPages?: number;
}

/** One user or group profile. `distinct_id` is always a string (integers are converted losslessly). */
export interface Profile {
  distinct_id: string;
  properties: Record<string, unknown>;
}
