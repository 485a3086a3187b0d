import { DuckDBInstance } from '@duckdb/node-api';
import { InvalidArgumentError } from '../../errors.js';

interface Entry {
  readonly instance: DuckDBInstance;
  readonly readOnly: boolean;
  refs: number;
}

/**
 * One DuckDB instance per database file per process, shared by every StorageEngine that opens it.
 *
 * Why not the driver's own `DuckDBInstanceCache`: it never closes an instance, so the file lock
 * would outlive `close()` and block other processes. Why share at all: two independent instances on
 * one file were seen to lose a write; DuckDB wants one instance per file per process.
 */
const entries = new Map<string, Entry>();

/** Opens (or shares) the instance for `path`. Balance every call with {@link releaseInstance}. */
export async function acquireInstance(
  path: string,
  readOnly: boolean,
  options: Record<string, string>,
): Promise<DuckDBInstance> {
  const existing = entries.get(path);
  if (existing) {
    if (existing.readOnly && !readOnly) {
      throw new InvalidArgumentError(
        `${path} is already open read-only in this process; close that StorageEngine before opening it for writing.`,
        { details: { path } },
      );
    }
    existing.refs++;
    return existing.instance;
  }
  const instance = await DuckDBInstance.create(path, {
    ...options,
    access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE',
  });
  // Another caller may have opened the same file while we awaited; keep a single instance.
  const raced = entries.get(path);
  if (raced) {
    instance.closeSync();
    raced.refs++;
    return raced.instance;
  }
  entries.set(path, { instance, readOnly, refs: 1 });
  return instance;
}

/** Drops one reference; the last one closes the instance and releases the file lock. */
export function releaseInstance(path: string): void {
  const entry = entries.get(path);
  if (!entry) return;
  entry.refs--;
  if (entry.refs === 0) {
    entries.delete(path);
    entry.instance.closeSync();
  }
}

/** True while some StorageEngine of this process has `path` open. */
export function isInstanceOpen(path: string): boolean {
  return entries.has(path);
}
