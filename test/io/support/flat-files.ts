import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import {
  checksumTable,
  type ImportResult,
  InvalidRecordError,
  StorageEngine,
  type TableKind,
} from '../../../src/index.js';

/** Helpers of the native flat-file import tests (events and profiles). */

/** One CSV field as this package writes it: NULL empty and unquoted, `''` quoted. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return text === '' || /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes a gzip copy of `source` to `path`. */
export function writeGzipCopy(source: string, path: string): string {
  writeFileSync(path, gzipSync(readFileSync(source)));
  return path;
}

async function tables(storage: StorageEngine): Promise<string[]> {
  return (await storage.executeRows('SELECT table_name FROM information_schema.tables ORDER BY 1')).rows.map(
    (r) => String(r[0]),
  );
}

/**
 * Imports `path` on DuckDB (native lane, falling back) and on SQLite (JavaScript): both must throw
 * the same InvalidRecordError naming `field`, and DuckDB must be left without any new table.
 */
export async function expectSameRejection(path: string, type: TableKind, field: string): Promise<void> {
  await using duck = await StorageEngine.inMemory({ backend: 'duckdb' });
  await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
  const before = await tables(duck);
  const error = await duck.importFile(type, path, { type }).catch((e: unknown) => e);
  const expected = await lite.importFile(type, path, { type }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidRecordError);
  expect((error as InvalidRecordError).field).toBe(field);
  expect((error as InvalidRecordError).message).toBe((expected as InvalidRecordError).message);
  expect(await tables(duck)).toEqual(before);
}

/** Whether an aborted import left table `name` behind. */
export async function hasTable(storage: StorageEngine, name: string): Promise<boolean> {
  return (await tables(storage)).includes(name);
}

/**
 * Imports `path` as table `type` into a fresh DuckDB (native lane, or its fallback) and SQLite
 * (JavaScript): both must store the same content (checksums). Returns DuckDB, still open, and its result.
 */
export async function importBothWays(
  path: string,
  type: 'events' | 'profiles',
): Promise<{ duck: StorageEngine; result: ImportResult }> {
  const duck = await StorageEngine.inMemory({ backend: 'duckdb' });
  await using lite = await StorageEngine.inMemory({ backend: 'sqlite' });
  const result = await duck.importFile(type, path, { type });
  await lite.importFile(type, path, { type });
  expect(await checksumTable(duck, type)).toEqual(await checksumTable(lite, type));
  return { duck, result };
}
