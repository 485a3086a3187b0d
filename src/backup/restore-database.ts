import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BackendFactory } from '../backend/backend.js';
import { loadBackend } from '../backend/backend-registry.js';
import { resolveBackend } from '../engine/backend-settings.js';
import { StorageEngine, type StorageOpenOptions } from '../engine/storage-engine.js';
import { InvalidArgumentError, UnsupportedError } from '../errors.js';
import { metadataDifferences } from '../io/metadata-json.js';
import { tableChecksum } from '../io/table-checksum.js';
import { throwIfAborted } from '../util/abort.js';
import { type BackupManifest, manifestMethod, readManifest } from './backup-manifest.js';
import type { RestoredTable, RestoreOptions, RestoreResult } from './backup-types.js';

/**
 * Restores a backup directory into the database `open` describes (`StorageEngine.open` options).
 *
 * A native backup restores into the same backend with the engine's own tool (IMPORT DATABASE into a
 * fresh file renamed over the target; the SQLite file copied and renamed; pg_restore in one
 * transaction). A table-export backup restores into any backend, table by table, each atomic. An
 * existing database (a file, or a PostgreSQL schema holding tables) is refused without `force`;
 * with it, tables the backup does not hold are dropped, so the result equals the backup. Afterwards
 * every table is compared with the manifest: row count, content checksum and `_metadata` row.
 */
export async function restoreDatabase(
  directory: string,
  open: StorageOpenOptions,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const started = performance.now();
  if (typeof directory !== 'string' || directory.trim() === '') {
    throw new InvalidArgumentError('restoreDatabase needs the backup directory.', {
      details: { option: 'directory' },
    });
  }
  const source = resolve(directory);
  const manifest = readManifest(source);
  const resolved = resolveBackend(open.backend, open.settings, open.config);
  const factory = await loadBackend(resolved.backend);
  throwIfAborted(options.signal, 'Restore');
  let storage: StorageEngine;
  if (manifest.native !== null) {
    await restoreNative(source, manifest, factory, open, resolved.settings, options);
    storage = await StorageEngine.open({ ...open, readOnly: false });
  } else {
    storage = await restoreExports(source, manifest, factory, open, options);
  }
  try {
    const tables = options.verify === false ? [] : await verifyRestore(storage, manifest, options.signal);
    return {
      backend: storage.backend,
      location: storage.path,
      method: manifestMethod(manifest),
      tables,
      ok: tables.every((t) => t.ok),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await storage.close();
  }
}

async function restoreNative(
  source: string,
  manifest: BackupManifest,
  factory: BackendFactory,
  open: StorageOpenOptions,
  settings: ReturnType<typeof resolveBackend>['settings'],
  options: RestoreOptions,
): Promise<void> {
  const native = manifest.native!;
  if (factory.name !== manifest.backend) {
    throw new InvalidArgumentError(
      `This is a ${manifest.backend} backup (${native.method}); restore it into ${manifest.backend}, ` +
        `or make a portable backup with { method: 'export' } (or use migrateDatabase).`,
      { details: { option: 'backend', backupBackend: manifest.backend } },
    );
  }
  if (!factory.capabilities.nativeBackup || !factory.restoreBackup) {
    throw new UnsupportedError(`The ${factory.name} backend cannot restore ${native.method} backups.`);
  }
  await factory.restoreBackup(
    join(source, 'native'),
    native,
    {
      mode: 'persistent',
      ...(open.path === undefined ? {} : { path: open.path }),
      readOnly: false,
      ...(open.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: open.lockTimeoutMs }),
      settings,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    {
      force: options.force === true,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.toolDirectory ? { toolDirectory: options.toolDirectory } : {}),
    },
  );
}

async function restoreExports(
  source: string,
  manifest: BackupManifest,
  factory: BackendFactory,
  open: StorageOpenOptions,
  options: RestoreOptions,
): Promise<StorageEngine> {
  if (
    factory.capabilities.fileBased &&
    open.path !== undefined &&
    existsSync(resolve(open.path)) &&
    !options.force
  ) {
    throw new InvalidArgumentError(
      `${resolve(open.path)} already exists; pass { force: true } to overwrite it.`,
      {
        details: { option: 'force', path: resolve(open.path) },
      },
    );
  }
  const storage = await StorageEngine.open({ ...open, readOnly: false });
  try {
    const existing = (await storage.listTables()).map((t) => t.name);
    if (existing.length > 0 && !options.force) {
      throw new InvalidArgumentError(
        `${storage.path} already holds tables; pass { force: true } to overwrite them.`,
        {
          details: { option: 'force' },
        },
      );
    }
    const keep = new Set(manifest.tables.map((t) => t.name));
    for (const name of existing) if (!keep.has(name)) await storage.dropTable(name);
    for (const table of manifest.tables) {
      throwIfAborted(options.signal, 'Restore');
      if (table.file === null)
        throw new InvalidArgumentError(`The manifest names no file for table '${table.name}'.`);
      await storage.importFile(table.name, join(source, table.file), {
        replace: true,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }
    return storage;
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/** Compares every table of the manifest with the restored database. */
async function verifyRestore(
  storage: StorageEngine,
  manifest: BackupManifest,
  signal: AbortSignal | undefined,
): Promise<RestoredTable[]> {
  const present = new Set((await storage.listTables()).map((t) => t.name));
  const metadata = new Map(manifest.metadata.map((m) => [m.tableName, m]));
  const out: RestoredTable[] = [];
  for (const table of manifest.tables) {
    throwIfAborted(signal, 'Verifying the restore');
    if (!present.has(table.name)) {
      out.push({
        name: table.name,
        expectedRows: table.rows,
        rows: null,
        checksumMatch: null,
        metadataMatch: null,
        ok: false,
      });
      continue;
    }
    const sum = await tableChecksum(
      storage,
      { name: table.name, columns: table.columns },
      signal ? { signal } : {},
    );
    const checksumMatch = table.checksum === null ? null : sum.checksum === table.checksum;
    const expected = metadata.get(table.name);
    const metadataMatch =
      expected === undefined
        ? null
        : metadataDifferences(expected, await storage.getMetadata(table.name)).length === 0;
    out.push({
      name: table.name,
      expectedRows: table.rows,
      rows: sum.rows,
      checksumMatch,
      metadataMatch,
      ok: sum.rows === table.rows && checksumMatch !== false && metadataMatch !== false,
    });
  }
  return out;
}
