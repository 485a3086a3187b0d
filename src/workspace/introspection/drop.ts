import type { StorageEngine } from '../../engine/storage-engine.js';

/**
 * Drops `table` and its metadata in one transaction; resolves to the names dropped (just `table`).
 * `TableNotFoundError` when it does not exist, `InvalidArgumentError` for an engine table (`_...`).
 */
export async function drop(storage: StorageEngine, table: string): Promise<string[]> {
  await storage.dropTable(table);
  return [table];
}
