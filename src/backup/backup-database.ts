import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BackendConnection, NativeBackup } from '../backend/backend.js';
import type { StoredTableMetadata } from '../engine/records.js';
import type { StorageEngine } from '../engine/storage-engine.js';
import { InvalidArgumentError, UnsupportedError } from '../errors.js';
import { tableChecksum } from '../io/table-checksum.js';
import { describeTableLayout, type TableLayout } from '../io/table-layout.js';
import { throwIfAborted } from '../util/abort.js';
import { PACKAGE_VERSION } from '../version.js';
import { EXPORT_METHOD, MANIFEST_FILE, manifestText } from './backup-manifest.js';
import type { BackupMethod, BackupOptions, BackupResult, BackupTable } from './backup-types.js';

/**
 * Backs a database up into a new directory: the engine's own tool where there is one (DuckDB
 * `EXPORT DATABASE`, SQLite's online backup, `pg_dump`), else one Parquet export per table. Either
 * way a `manifest.json` lists every table with its columns, row count and content checksum, and
 * every `_metadata` row, so a restore can verify itself. The directory is built under a temporary
 * name and renamed into place at the end: a failed backup leaves nothing half-written.
 */
export function backupDatabase(
  storage: StorageEngine,
  directory: string,
  options: BackupOptions = {},
): Promise<BackupResult> {
  return storage.backup(directory, options);
}

/** What a backup needs from the engine. */
export interface BackupContext {
  readonly storage: StorageEngine;
  readonly backend: BackendConnection;
}

const METHODS: readonly BackupMethod[] = ['auto', 'native', 'export'];

function checkTarget(directory: unknown): string {
  if (typeof directory !== 'string' || directory.trim() === '') {
    throw new InvalidArgumentError('The backup needs a directory path.', {
      details: { option: 'directory' },
    });
  }
  const path = resolve(directory);
  if (existsSync(path) && (!statSync(path).isDirectory() || readdirSync(path).length > 0)) {
    throw new InvalidArgumentError(`${path} already exists; back up into a new (or empty) directory.`, {
      details: { option: 'directory', path },
    });
  }
  return path;
}

function directoryBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? directoryBytes(full) : statSync(full).size;
  }
  return total;
}

/** Tries the engine's own backup; null (with the reason) when it has none or it cannot run here. */
async function tryNative(
  backend: BackendConnection,
  directory: string,
  options: BackupOptions,
): Promise<{ native: NativeBackup | null; reason: string | null }> {
  if (!backend.capabilities.nativeBackup || !backend.backupTo) {
    return { native: null, reason: `the ${backend.name} backend has no native backup` };
  }
  mkdirSync(directory);
  try {
    const native = await backend.backupTo(directory, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.toolDirectory ? { toolDirectory: options.toolDirectory } : {}),
    });
    return { native: { ...native, files: native.files.map((f) => `native/${f}`) }, reason: null };
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    if (error instanceof UnsupportedError) return { native: null, reason: error.message };
    throw error;
  }
}

/** File name of a table's export: its position plus its name made safe for any file system. */
function exportFileName(index: number, name: string): string {
  return `${String(index).padStart(3, '0')}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}.parquet`;
}

async function exportTables(
  storage: StorageEngine,
  layouts: readonly TableLayout[],
  directory: string,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  mkdirSync(join(directory, 'tables'));
  const files: string[] = [];
  for (const [i, layout] of layouts.entries()) {
    const file = join('tables', exportFileName(i, layout.name));
    await storage.exportTable(layout.name, {
      path: join(directory, file),
      format: 'parquet',
      ...(signal ? { signal } : {}),
    });
    files.push(file);
  }
  return files;
}

/** The implementation behind `storage.backup()`. */
export async function writeBackup(
  ctx: BackupContext,
  directory: string,
  options: BackupOptions = {},
): Promise<BackupResult> {
  const started = performance.now();
  const method = options.method ?? 'auto';
  if (!METHODS.includes(method)) {
    throw new InvalidArgumentError(
      `Invalid backup method ${JSON.stringify(method)}: use auto, native or export.`,
      {
        details: { option: 'method' },
      },
    );
  }
  const target = checkTarget(directory);
  const { storage, backend } = ctx;
  const { signal } = options;
  mkdirSync(dirname(target), { recursive: true });
  const temp = `${target}.partial-${process.pid}-${Date.now().toString(36)}`;
  mkdirSync(temp);
  try {
    const layouts: TableLayout[] = [];
    for (const table of await storage.listTables())
      layouts.push(await describeTableLayout(storage, table.name));
    // Checksums first: a write racing with the backup then shows up as a mismatch when restoring.
    const sums = new Map<string, { rows: number; checksum: string | null }>();
    for (const layout of layouts) {
      throwIfAborted(signal, 'Backup');
      if (options.checksums === false) {
        const rows = await storage.executeScalar(
          `SELECT count(*) FROM ${storage.dialect.quoteIdentifier(layout.name)}`,
        );
        sums.set(layout.name, { rows: Number(rows), checksum: null });
      } else {
        sums.set(layout.name, await tableChecksum(storage, layout, signal ? { signal } : {}));
      }
    }
    let native: NativeBackup | null = null;
    let fallbackReason: string | null = null;
    if (method !== 'export') {
      const attempt = await tryNative(backend, join(temp, 'native'), options);
      if (attempt.native === null && method === 'native') {
        throw new UnsupportedError(`No native backup: ${attempt.reason}.`, { details: { option: 'method' } });
      }
      native = attempt.native;
      fallbackReason = attempt.reason;
    }
    const files = native === null ? await exportTables(storage, layouts, temp, signal) : null;
    const tables: BackupTable[] = layouts.map((layout, i) => ({
      name: layout.name,
      type: layout.type,
      columns: layout.columns.map((c) => ({ name: c.name, type: c.type })),
      rows: sums.get(layout.name)!.rows,
      checksum: sums.get(layout.name)!.checksum,
      file: files?.[i] ?? null,
    }));
    const metadata = layouts.map((l) => l.metadata).filter((m): m is StoredTableMetadata => m !== null);
    writeFileSync(
      join(temp, MANIFEST_FILE),
      manifestText({
        createdAt: new Date().toISOString(),
        packageVersion: PACKAGE_VERSION,
        backend: storage.backend,
        location: storage.path,
        native,
        fallbackReason,
        tables,
        metadata,
      }),
    );
    throwIfAborted(signal, 'Backup');
    if (existsSync(target)) rmSync(target, { recursive: true }); // the empty directory checked above
    renameSync(temp, target);
    return {
      path: target,
      backend: storage.backend,
      method: native?.method ?? EXPORT_METHOD,
      fallbackReason,
      tables,
      bytes: directoryBytes(target),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
