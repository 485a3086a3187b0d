import type { TableType } from '../../engine/records.js';
import type { StorageEngine } from '../../engine/storage-engine.js';

/** Options of `dropAll()`. */
export interface DropAllOptions {
  /** Only tables of this type. Default: every user table, tables created by hand with SQL included. */
  readonly type?: TableType;
}

/**
 * Drops every user table (or only the events or profiles tables) with its metadata; resolves to the
 * names dropped, in name order. Each table goes in its own transaction, so a failure part-way leaves
 * the tables before it dropped and the rest in place.
 */
export async function dropAll(storage: StorageEngine, options: DropAllOptions = {}): Promise<string[]> {
  const names = (await storage.listTables())
    .filter((table) => options.type === undefined || table.type === options.type)
    .map((table) => table.name);
  for (const name of names) await storage.dropTable(name);
  return names;
}
