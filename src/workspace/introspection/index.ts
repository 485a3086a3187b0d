/**
 * Local introspection: what is in the database, without knowing which engine holds it. Each helper
 * takes a `StorageEngine` and returns plain data; `Workspace` and `mp inspect` build on them.
 */

export type { ColumnFamily, JsonValueType } from '../../backend/sql-dialect.js';
export type { ColumnInfo, TableInfo } from '../../engine/storage-engine.js';
export {
  type ColumnStats,
  type ColumnStatsOptions,
  type ColumnStatsTarget,
  columnStats,
  type TopValue,
} from './column-stats.js';
export { drop } from './drop.js';
export { type DropAllOptions, dropAll } from './drop-all.js';
export { type EventBreakdownOptions, type EventBreakdownRow, eventBreakdown } from './event-breakdown.js';
export { type DatabaseInfo, info } from './info.js';
export { type PropertyKeyInfo, type PropertyKeysOptions, propertyKeys } from './property-keys.js';
export { type SampleOptions, sample } from './sample.js';
export { type ColumnSummary, type SummarizeOptions, summarize } from './summarize.js';
export { tableSchema } from './table-schema.js';
export { tables } from './tables.js';
