import type { StoredTableMetadata } from '../engine/records.js';
import type { StorageEngine } from '../engine/storage-engine.js';
import { InvalidArgumentError, ReadOnlyError, TableExistsError, TableNotFoundError } from '../errors.js';
import { positiveInteger } from '../io/file-options.js';
import { metadataDifferences } from '../io/metadata-json.js';
import { tableChecksum } from '../io/table-checksum.js';
import { describeTableLayout, type TableLayout } from '../io/table-layout.js';
import { throwIfAborted } from '../util/abort.js';
import type {
  MigrateOptions,
  MigrationProgress,
  MigrationReport,
  TableMigration,
  TableSide,
} from './migrate-types.js';
import { MigrationError } from './migration-error.js';
import { tableLoadFrom } from './table-stream.js';

/**
 * Moves every table (or `options.tables`) and its `_metadata` row from one storage engine to another,
 * whatever their backends, table by table:
 *
 * 1. a table the target already holds is compared first (row count + content checksum, computed on
 *    both sides): equal → skipped (a stale metadata row is repaired); different → TableExistsError,
 *    or replaced with `replace: true`;
 * 2. rows stream from the source into the target's atomic load (events and profiles through the same
 *    validation and dedup as a fetch; other tables with portable column types); the source's checksum
 *    is computed on the way, and the `_metadata` row is written verbatim in the same transaction;
 * 3. the copy is checksummed on the target and compared.
 *
 * The source is only read. An error or abort stops at the current table, which is rolled back on
 * the target, and throws {@link MigrationError} whose report says which tables moved; running the
 * same migration again skips those and completes the rest. The report compares counts, checksums
 * and metadata per table; `ok` is false when anything differs.
 */
export async function migrateDatabase(
  from: StorageEngine,
  to: StorageEngine,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const started = performance.now();
  if (from === to || (from.backend === to.backend && from.path === to.path && from.path !== ':memory:')) {
    throw new InvalidArgumentError('Migrating a database onto itself: choose a different target.', {
      details: { option: 'to' },
    });
  }
  if (to.readOnly) throw new ReadOnlyError('migrate into this database');
  const batchRows = positiveInteger(options.batchSize, 'batchSize', 10_000);
  const available = (await from.listTables()).map((t) => t.name);
  const names = options.tables ? [...options.tables] : available;
  for (const name of names) if (!available.includes(name)) throw new TableNotFoundError(name);

  const entries: TableMigration[] = names.map((name) => ({
    name,
    type: 'other',
    status: 'pending',
    source: null,
    target: null,
    metadataDifferences: [],
    error: null,
    durationMs: 0,
  }));
  const report = (): MigrationReport => ({
    from: { backend: from.backend, location: from.path },
    to: { backend: to.backend, location: to.path },
    tables: entries.slice(),
    ok: entries.every((e) => e.status === 'migrated' || e.status === 'skipped'),
    durationMs: Math.round(performance.now() - started),
  });

  for (const [i, name] of names.entries()) {
    const tableStarted = performance.now();
    const progress = (phase: MigrationProgress['phase'], rows: number) =>
      options.onProgress?.({ table: name, tableIndex: i + 1, tableCount: names.length, phase, rows });
    let layout: TableLayout | null = null;
    try {
      throwIfAborted(options.signal, 'Migration');
      layout = await describeTableLayout(from, name);
      entries[i] = {
        ...(await migrateTable(from, to, layout, { ...options, batchRows, progress })),
        durationMs: Math.round(performance.now() - tableStarted),
      };
    } catch (error) {
      entries[i] = {
        ...entries[i]!,
        type: layout?.type ?? 'other',
        status: 'failed',
        error: error instanceof Error ? error.message : String(error),
        durationMs: Math.round(performance.now() - tableStarted),
      };
      throw new MigrationError(error, name, report());
    }
  }
  return report();
}

interface TableOptions extends MigrateOptions {
  readonly batchRows: number;
  readonly progress: (phase: MigrationProgress['phase'], rows: number) => void;
}

async function targetMetadata(to: StorageEngine, name: string): Promise<StoredTableMetadata | null> {
  try {
    return await to.getMetadata(name);
  } catch (error) {
    if (error instanceof TableNotFoundError) return null;
    throw error;
  }
}

async function metadataDiff(layout: TableLayout, to: StorageEngine): Promise<string[]> {
  const target = await targetMetadata(to, layout.name);
  if (layout.metadata === null) return target === null ? [] : ['present on the target only'];
  if (target === null) return ['missing on the target'];
  return metadataDifferences(layout.metadata, target);
}

function sameSide(a: TableSide, b: TableSide): boolean {
  return a.rows === b.rows && a.checksum === b.checksum;
}

async function migrateTable(
  from: StorageEngine,
  to: StorageEngine,
  layout: TableLayout,
  options: TableOptions,
): Promise<Omit<TableMigration, 'durationMs'>> {
  const { name } = layout;
  const signal = options.signal ? { signal: options.signal } : {};
  const base = { name, type: layout.type, error: null };
  const exists = await to.tableExists(name);
  if (exists) {
    const source = await tableChecksum(from, layout, {
      ...signal,
      onRows: (n) => options.progress('compare', n),
    });
    const target = await tableChecksum(to, layout, signal).catch(() => null);
    if (target !== null && sameSide(source, target)) {
      let differences = await metadataDiff(layout, to);
      if (differences.length > 0 && layout.metadata !== null) {
        await to.restoreMetadata(name, layout.metadata);
        differences = await metadataDiff(layout, to);
      }
      return {
        ...base,
        status: differences.length === 0 ? 'skipped' : 'mismatch',
        source,
        target,
        metadataDifferences: differences,
      };
    }
    if (!options.replace) {
      throw new TableExistsError(name, {
        details: { reason: 'the target holds different rows; pass replace: true to overwrite them' },
      });
    }
  }
  const { load, accumulator } = tableLoadFrom(from, layout, {
    batchRows: options.batchRows,
    ...signal,
    onRows: (n) => options.progress('copy', n),
  });
  await to.loadTable(name, load, { replace: exists, batchSize: options.batchRows, ...signal });
  const source = accumulator.result();
  const target = await tableChecksum(to, layout, { ...signal, onRows: (n) => options.progress('verify', n) });
  const differences = await metadataDiff(layout, to);
  const equal = sameSide(source, target) && differences.length === 0;
  return {
    ...base,
    status: equal ? 'migrated' : 'mismatch',
    source,
    target,
    metadataDifferences: differences,
  };
}
