import type { ColumnInfo, StorageEngine } from '../../engine/storage-engine.js';

/** The columns of `table` in table order; `TableNotFoundError` when it does not exist. */
export async function tableSchema(storage: StorageEngine, table: string): Promise<readonly ColumnInfo[]> {
  return (await storage.getSchema(table)).columns;
}
