import type { StorageEngine } from '../../engine/storage-engine.js';
import { requireEventsTable } from './require-events-table.js';
import { asCount } from './result-values.js';

/** One event name of `eventBreakdown()`. */
export interface EventBreakdownRow {
  readonly event: string;
  /** Rows with this event name. */
  readonly count: number;
  /** Distinct non-empty `distinct_id`s (events without a user store `''`). */
  readonly users: number;
  /** Earliest and latest `event_time` (UTC). */
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  /** `count` over all rows of the table, from 0 to 1. */
  readonly share: number;
}

/** Options of `eventBreakdown()`. */
export interface EventBreakdownOptions {
  readonly signal?: AbortSignal;
}

/**
 * Per event name: count, distinct users, first and last seen, and share of all events, most frequent
 * first (ties by name, code-point order). `table` must be an events table: `TableNotFoundError` when
 * it does not exist, `InvalidArgumentError` when it is not an events table.
 */
export async function eventBreakdown(
  storage: StorageEngine,
  table: string,
  options: EventBreakdownOptions = {},
): Promise<EventBreakdownRow[]> {
  await requireEventsTable(storage, table, 'event breakdown');
  const { dialect } = storage;
  const q = (name: string) => dialect.quoteIdentifier(name);
  const [name, time, user] = [q('event_name'), q('event_time'), q('distinct_id')];
  // Dates travel as ISO text: an aggregate loses SQLite's declared TIMESTAMP type, so a raw min()
  // would come back as text there and as Date elsewhere.
  const sql =
    `SELECT ${name} AS event_name, count(*) AS event_count, ` +
    `count(DISTINCT CASE WHEN ${user} <> '' THEN ${user} END) AS user_count, ` +
    `${dialect.timestampText(`min(${time})`)} AS first_seen, ${dialect.timestampText(`max(${time})`)} AS last_seen ` +
    `FROM ${q(table)} GROUP BY ${name} ORDER BY count(*) DESC, ${dialect.binaryCollation(name)}`;
  const rows = await storage.executeObjects(sql, [], options.signal ? { signal: options.signal } : {});
  const total = rows.reduce((sum, row) => sum + asCount(row.event_count), 0);
  return rows.map((row) => {
    const count = asCount(row.event_count);
    return {
      event: String(row.event_name),
      count,
      users: asCount(row.user_count),
      firstSeen: new Date(String(row.first_seen)),
      lastSeen: new Date(String(row.last_seen)),
      share: count / total,
    };
  });
}
