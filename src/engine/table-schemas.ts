import type { ColumnDef } from '../backend/column-types.js';

/** The events table of the issue: one row per Mixpanel event occurrence. */
export const EVENT_COLUMNS: readonly ColumnDef[] = Object.freeze([
  { name: 'event_name', type: 'string', notNull: true },
  { name: 'event_time', type: 'timestamp', notNull: true },
  { name: 'distinct_id', type: 'string', notNull: true },
  { name: 'insert_id', type: 'string', notNull: true },
  { name: 'properties', type: 'json' },
]);

/**
 * Mixpanel's duplicate rule: two events are one when all four of these are equal. `insert_id` comes
 * first on purpose: the dedup pre-filter and the append index use the leading column, and only
 * insert_id is nearly unique (with event_name first, every row passed the pre-filter).
 */
export const EVENT_KEY: readonly string[] = Object.freeze([
  'insert_id',
  'event_name',
  'distinct_id',
  'event_time',
]);

/** The profiles table: one row per distinct_id. */
export const PROFILE_COLUMNS: readonly ColumnDef[] = Object.freeze([
  { name: 'distinct_id', type: 'string', notNull: true, primaryKey: true },
  { name: 'properties', type: 'json' },
  { name: 'last_seen', type: 'timestamp' },
]);

/**
 * Columns the staging tables add: `_proc` (the copy's mp_processing_time_ms, which decides which
 * duplicate wins) and `_seq` (position in the source, the tie-breaker: later wins).
 */
const STAGING_EXTRA: readonly ColumnDef[] = [
  { name: '_proc', type: 'int64' },
  { name: '_seq', type: 'int64', notNull: true },
];

/** Staging layout for events: the table's columns plus the tie-breakers. */
export const EVENT_STAGING_COLUMNS: readonly ColumnDef[] = Object.freeze([
  ...EVENT_COLUMNS,
  ...STAGING_EXTRA,
]);

/** Staging layout for profiles: the table's columns plus the stream position. */
export const PROFILE_STAGING_COLUMNS: readonly ColumnDef[] = Object.freeze([
  ...PROFILE_COLUMNS.map((c) => ({ ...c, primaryKey: false })),
  { name: '_seq', type: 'int64', notNull: true },
]);

/** `_metadata`: one row per user table, written in the same transaction as the table's data. */
export const METADATA_TABLE = '_metadata';
export const METADATA_COLUMNS: readonly ColumnDef[] = Object.freeze([
  { name: 'table_name', type: 'string', notNull: true, primaryKey: true },
  { name: 'type', type: 'string', notNull: true },
  { name: 'fetched_at', type: 'timestamp', notNull: true },
  { name: 'from_date', type: 'date' },
  { name: 'to_date', type: 'date' },
  { name: 'row_count', type: 'int64', notNull: true },
  { name: 'filters', type: 'json' },
  { name: 'source', type: 'string' },
  { name: 'package_version', type: 'string', notNull: true },
  { name: 'created_at', type: 'timestamp', notNull: true },
  { name: 'updated_at', type: 'timestamp', notNull: true },
]);
