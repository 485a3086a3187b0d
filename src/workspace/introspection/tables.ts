import type { StorageEngine, TableInfo } from '../../engine/storage-engine.js';

/** The user tables with their type (events, profiles, other), row count and fetch range. */
export function tables(storage: StorageEngine): Promise<TableInfo[]> {
  return storage.listTables();
}
