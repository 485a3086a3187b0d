import { stat } from 'node:fs/promises';
import type { CliIo } from '../cli-io.js';
import { defined, signalOf } from '../defined.js';
import { CliExit, EXIT_CODES } from '../exit-codes.js';
import { formatOf, type GlobalOptions, withWorkspace } from '../global-options.js';
import {
  type BackendName,
  type BackupMethod,
  backupDatabase,
  defaultDatabasePath,
  type FileCompression,
  type FileFormat,
  FileNotFoundError,
  InvalidArgumentError,
  loadConfig,
  MigrationError,
  type MigrationReport,
  MixpanelDataError,
  migrateDatabase,
  resolveCredentials,
  restoreDatabase,
  type StorageOpenOptions,
  type TableKind,
  Workspace,
} from '../library.js';
import { createRowProgress } from '../output/progress.js';
import {
  formatCount,
  formatDuration,
  type OutputFormat,
  printData,
  printRecord,
  printSummary,
  stderrPaint,
} from '../output.js';

/**
 * `mp export`, `mp import`, `mp migrate`, `mp backup` and `mp restore`: thin wrappers over the
 * library's files, migration and backup calls (docs/files-and-migration.md). The library picks the
 * engine's native path or the portable one; nothing here knows which backend it talks to.
 */

const FILE_FORMATS: readonly string[] = ['parquet', 'csv', 'jsonl'];
const TABLE_KINDS: readonly string[] = ['events', 'profiles', 'other'];

/**
 * For export and import, `--format parquet|csv|jsonl` is the file's format (default: from the
 * extension) and `--format json` prints the result object; anything else prints the summary.
 */
function fileFormats(options: GlobalOptions): { file?: FileFormat; json: boolean } {
  const format = options.format;
  if (format !== undefined && FILE_FORMATS.includes(format))
    return { file: format as FileFormat, json: false };
  return { json: format === 'json' };
}

// ---- mp export ---------------------------------------------------------------------------------

/** `mp export TABLE --output PATH` / `mp export --query SQL --output PATH`. */
export interface ExportCommandOptions extends GlobalOptions {
  /** The table to export (or `query`). */
  readonly table?: string;
  /** SQL whose result to export (or `table`). */
  readonly query?: string;
  /** The file to write. */
  readonly output: string;
  readonly compression?: FileCompression;
  /** Replace an existing file. */
  readonly overwrite?: boolean;
  /** Record the table's content checksum in the sidecar (hashes every row). */
  readonly checksum?: boolean;
  /** `--no-sidecar` sets this to false. */
  readonly sidecar?: boolean;
}

/** Writes a table or a query result to a Parquet, CSV or JSON-lines file (read-only open). */
export async function exportCommand(options: ExportCommandOptions, io: CliIo): Promise<void> {
  if ((options.table === undefined) === (options.query === undefined)) {
    throw new InvalidArgumentError('Name a TABLE to export, or pass --query SQL (one of them, not both).', {
      details: { option: 'query' },
    });
  }
  if (options.output === undefined || options.output.trim() === '') {
    throw new InvalidArgumentError('--output PATH is required: the file to write.', {
      details: { option: 'output' },
    });
  }
  const formats = fileFormats(options);
  const progress = createRowProgress(io, options, 'Exporting');
  const exportOptions = {
    path: options.output,
    ...defined({
      format: formats.file,
      compression: options.compression,
      overwrite: options.overwrite,
      checksum: options.checksum,
      sidecar: options.sidecar,
    }),
    onProgress: (rows: number) => progress.update(rows),
    ...signalOf(io.signal),
  };
  const result = await withWorkspace(options, io, 'read', async (ws) => {
    const storage = await ws.storage();
    try {
      return options.query !== undefined
        ? await storage.exportQuery(options.query, undefined, exportOptions)
        : await storage.exportTable(options.table as string, exportOptions);
    } finally {
      progress.stop();
    }
  });
  if (formats.json) {
    await printRecord(io, 'json', { ...result });
    return;
  }
  const what = result.table === null ? 'query result' : `'${result.table}'`;
  printSummary(
    io,
    options.quiet,
    `Exported ${formatCount(result.rows)} ${result.rows === 1 ? 'row' : 'rows'} of ${what} ` +
      `(${formatBytes(result.bytes)}) to ${result.path} [${result.format}, ${result.compression}, ` +
      `method ${result.method}] in ${formatDuration(result.durationMs)}.`,
  );
}

// ---- mp import ---------------------------------------------------------------------------------

/** `mp import events|profiles FILE [NAME]`. */
export interface ImportCommandOptions extends GlobalOptions {
  /** `events`, `profiles` or `other` (a table from this package's exports). */
  readonly type: string;
  /** The file to read. */
  readonly file: string;
  /** Table name. Default: the type (`events`, `profiles`); required for `other`. */
  readonly name?: string;
  readonly append?: boolean;
  readonly replace?: boolean;
  /** Raw Mixpanel events whose `time` is in milliseconds. */
  readonly timeInMs?: boolean;
  /** `--no-sidecar` ignores a `<file>.meta.json`. */
  readonly sidecar?: boolean;
  readonly batchSize?: number;
}

/** Imports a file into a table with a fetch's validation, dedup and atomicity (read-write open). */
export async function importCommand(options: ImportCommandOptions, io: CliIo): Promise<void> {
  if (!TABLE_KINDS.includes(options.type)) {
    throw new InvalidArgumentError(
      `Unknown table type '${options.type}': expected events, profiles or other.`,
      { details: { option: 'type' } },
    );
  }
  if (options.append === true && options.replace === true) {
    throw new InvalidArgumentError('--append and --replace cannot be combined.', {
      details: { option: 'replace' },
    });
  }
  const name = options.name ?? (options.type === 'other' ? undefined : options.type);
  if (name === undefined) {
    throw new InvalidArgumentError("Importing a table of type 'other' needs its NAME.", {
      details: { option: 'name' },
    });
  }
  // Checked before the database is opened, so a typo does not create an empty database file.
  await mustExist(options.file);
  const formats = fileFormats(options);
  const progress = createRowProgress(io, options, `Importing into '${name}'`);
  const result = await withWorkspace(options, io, 'write', async (ws) => {
    const storage = await ws.storage();
    try {
      return await storage.importFile(name, options.file, {
        type: options.type as TableKind,
        ...defined({
          format: formats.file,
          append: options.append,
          replace: options.replace,
          timeInMs: options.timeInMs,
          batchSize: options.batchSize,
        }),
        ...(options.sidecar === false ? { sidecar: false as const } : {}),
        onProgress: (rows: number) => progress.update(rows),
        ...signalOf(io.signal),
      });
    } finally {
      progress.stop();
    }
  });
  const verificationFailed = result.verification !== null && !result.verification.ok;
  if (formats.json) await printRecord(io, 'json', { ...result });
  else {
    const verified =
      result.verification === null
        ? ''
        : result.verification.ok
          ? `; verified against the sidecar (${formatCount(result.verification.expectedRows)} rows${result.verification.expectedChecksum === null ? '' : ', checksum'})`
          : '';
    printSummary(
      io,
      options.quiet,
      `Imported ${formatCount(result.rowsRead)} ${result.rowsRead === 1 ? 'record' : 'records'} from ` +
        `${result.path} [${result.format}] into '${result.table}' (${result.type}): ` +
        `${formatCount(result.inserted)} inserted, ${formatCount(result.updated)} updated, ` +
        `${formatCount(result.duplicates)} duplicates${verified} in ${formatDuration(result.durationMs)}.`,
    );
  }
  if (verificationFailed) {
    const v = result.verification!;
    throw failure(
      io,
      `The imported table differs from its sidecar: ${formatCount(v.actualRows)} rows (expected ` +
        `${formatCount(v.expectedRows)})${v.expectedChecksum === null ? '' : `, checksum ${v.actualChecksum} (expected ${v.expectedChecksum})`}.`,
    );
  }
}

// ---- mp migrate --------------------------------------------------------------------------------

/** `mp migrate --to-backend NAME [--to-path FILE] [--to-url URL]`. */
export interface MigrateCommandOptions extends GlobalOptions {
  /** The target's backend. */
  readonly toBackend: string;
  /** The target's file (file-based backends). Default: the default database path. */
  readonly toPath?: string;
  /** The target's connection URL (server backends); default: the configuration's. */
  readonly toUrl?: string;
  /** The target's schema (server backends); default: the configuration's. */
  readonly toSchema?: string;
  /** Only these tables. */
  readonly tables?: readonly string[];
  /** Replace target tables whose content differs. */
  readonly replace?: boolean;
  readonly batchSize?: number;
}

/**
 * Copies every table (or `--tables`) of the current database into another one, verified per table,
 * and prints the comparison. Exit 1 when a table failed or differs; the message says what moved.
 */
export async function migrateCommand(options: MigrateCommandOptions, io: CliIo): Promise<void> {
  const format = formatOf(options);
  const settings = defined({ url: options.toUrl, schema: options.toSchema });
  const target = new Workspace({
    ...defined({ account: options.account, path: options.toPath }),
    backend: options.toBackend as BackendName,
    ...(Object.keys(settings).length === 0 ? {} : { settings: settings as Record<string, string> }),
    ...(options.wait === undefined ? {} : { lockTimeoutMs: Math.round(options.wait * 1000) }),
    readOnly: false,
    env: io.env,
  });
  const progress = createRowProgress(io, options, 'Migrating');
  let report: MigrationReport;
  try {
    report = await withWorkspace(options, io, 'read', async (source) => {
      const from = await source.storage();
      const to = await target.storage();
      if (from.backend === to.backend && from.path === to.path) {
        throw new InvalidArgumentError(
          `The source and the target are the same database (${from.backend} ${from.path}).`,
          { details: { option: 'to-path' } },
        );
      }
      try {
        return await migrateDatabase(from, to, {
          ...defined({ tables: options.tables, replace: options.replace, batchSize: options.batchSize }),
          onProgress: (e) =>
            progress.update(e.rows, `${e.tableIndex}/${e.tableCount} ${e.table} (${e.phase})`),
          ...signalOf(io.signal),
        });
      } finally {
        progress.stop();
      }
    });
  } catch (error) {
    // What moved before the error: printed, then the error itself reports (and sets the exit code).
    if (error instanceof MigrationError) await printMigration(io, format, error.report);
    throw error;
  } finally {
    await target.close();
  }
  await printMigration(io, format, report);
  const moved = report.tables.filter((t) => t.status === 'migrated' || t.status === 'skipped');
  if (!report.ok) {
    const bad = report.tables.filter((t) => t.status !== 'migrated' && t.status !== 'skipped');
    throw failure(
      io,
      `Migration finished with differences in ${bad.map((t) => `'${t.name}' (${t.status})`).join(', ')}. ` +
        `Complete on the target: ${moved.length === 0 ? 'none' : moved.map((t) => t.name).join(', ')}.`,
    );
  }
  const copied = report.tables.filter((t) => t.status === 'migrated').length;
  printSummary(
    io,
    options.quiet,
    `Migrated ${report.tables.length} ${report.tables.length === 1 ? 'table' : 'tables'} ` +
      `(${copied} copied, ${report.tables.length - copied} already equal) from ${report.from.backend} ` +
      `${report.from.location} to ${report.to.backend} ${report.to.location}, checksums equal, in ` +
      `${formatDuration(report.durationMs)}.`,
  );
}

async function printMigration(io: CliIo, format: OutputFormat, report: MigrationReport): Promise<void> {
  if (format === 'json') {
    await printRecord(io, 'json', { ...report });
    return;
  }
  await printData(
    io,
    format,
    report.tables.map((t) => ({
      table: t.name,
      type: t.type,
      status: t.status,
      source_rows: t.source?.rows ?? null,
      target_rows: t.target?.rows ?? null,
      source_checksum: t.source?.checksum ?? null,
      target_checksum: t.target?.checksum ?? null,
      metadata: t.metadataDifferences.length === 0 ? 'equal' : `differs: ${t.metadataDifferences.join(', ')}`,
      ...(t.error === null ? {} : { error: t.error }),
    })),
  );
}

// ---- mp backup / mp restore ----------------------------------------------------------------------

/** `mp backup OUT_DIR`. */
export interface BackupCommandOptions extends GlobalOptions {
  /** The new directory to write. */
  readonly directory: string;
  readonly method?: BackupMethod;
  /** `--no-checksums` sets this to false. */
  readonly checksums?: boolean;
}

/** Backs the current database up into a new directory (read-only open). */
export async function backupCommand(options: BackupCommandOptions, io: CliIo): Promise<void> {
  const format = formatOf(options);
  const result = await withWorkspace(options, io, 'read', async (ws) =>
    backupDatabase(await ws.storage(), options.directory, {
      ...defined({ method: options.method, checksums: options.checksums }),
      ...signalOf(io.signal),
    }),
  );
  if (format === 'json') {
    await printRecord(io, 'json', { ...result });
    return;
  }
  await printData(
    io,
    format,
    result.tables.map((t) => ({ table: t.name, type: t.type, rows: t.rows, checksum: t.checksum })),
  );
  const rows = result.tables.reduce((sum, t) => sum + t.rows, 0);
  printSummary(
    io,
    options.quiet,
    `Backed up ${result.tables.length} ${result.tables.length === 1 ? 'table' : 'tables'} ` +
      `(${formatCount(rows)} rows, ${formatBytes(result.bytes)}) of ${result.backend} to ${result.path} ` +
      `with ${result.method} in ${formatDuration(result.durationMs)}.` +
      (result.fallbackReason === null ? '' : `\nNot native: ${result.fallbackReason}`),
  );
}

/** `mp restore IN_DIR`. */
export interface RestoreCommandOptions extends GlobalOptions {
  /** The backup directory. */
  readonly directory: string;
  /** Overwrite an existing database. */
  readonly force?: boolean;
}

/**
 * Restores a backup into the current `--path`/`--backend` database; refuses an existing one without
 * `--force` (the library's InvalidArgumentError, exit 3). Exit 1 when a table differs afterwards.
 */
export async function restoreCommand(options: RestoreCommandOptions, io: CliIo): Promise<void> {
  const format = formatOf(options);
  if (options.ephemeral === true) {
    throw new InvalidArgumentError('Restoring into an --ephemeral database would throw it away.', {
      details: { option: 'ephemeral' },
    });
  }
  await mustExist(options.directory);
  const result = await restoreDatabase(options.directory, restoreTarget(options, io), {
    ...defined({ force: options.force }),
    ...signalOf(io.signal),
  });
  if (format === 'json') await printRecord(io, 'json', { ...result });
  else {
    await printData(
      io,
      format,
      result.tables.map((t) => ({
        table: t.name,
        expected_rows: t.expectedRows,
        rows: t.rows,
        checksum_match: t.checksumMatch,
        metadata_match: t.metadataMatch,
        ok: t.ok,
      })),
    );
  }
  if (!result.ok) {
    const bad = result.tables.filter((t) => !t.ok).map((t) => `'${t.name}'`);
    throw failure(io, `The restored database differs from the backup in ${bad.join(', ')}.`);
  }
  if (format !== 'json') {
    printSummary(
      io,
      options.quiet,
      `Restored ${result.tables.length} ${result.tables.length === 1 ? 'table' : 'tables'} into ` +
        `${result.backend} ${result.location} with ${result.method}, verified, in ${formatDuration(result.durationMs)}.`,
    );
  }
}

/**
 * The database a restore writes: `--path`/`--backend` as given, else the default file of the
 * account's project (server backends ignore the path, so no credentials are needed there).
 */
function restoreTarget(options: RestoreCommandOptions, io: CliIo): StorageOpenOptions {
  const config = loadConfig({ env: io.env });
  return {
    config,
    ...(options.backend === undefined ? {} : { backend: options.backend as BackendName }),
    ...(options.wait === undefined ? {} : { lockTimeoutMs: Math.round(options.wait * 1000) }),
    ...defined({ path: options.path ?? defaultPath(options, io, config) }),
  };
}

function defaultPath(
  options: GlobalOptions,
  io: CliIo,
  config: ReturnType<typeof loadConfig>,
): string | undefined {
  try {
    const { projectId } = resolveCredentials({
      env: io.env,
      config,
      ...defined({ account: options.account }),
    });
    return projectId === undefined ? undefined : defaultDatabasePath(projectId, { env: io.env });
  } catch (error) {
    // No credentials: fine for a server backend; a file backend then asks for --path itself.
    if (
      error instanceof MixpanelDataError &&
      error.code === 'CONFIG_INVALID' &&
      options.account === undefined
    )
      return undefined;
    throw error;
  }
}

// ---- helpers -----------------------------------------------------------------------------------

async function mustExist(path: string): Promise<void> {
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new FileNotFoundError(path, { cause: error });
    throw error;
  }
}

/** Prints an outcome that is not an exception on stderr and returns the exit-1 signal for main. */
function failure(io: CliIo, message: string): CliExit {
  io.stderr.write(`${stderrPaint(io)('red', 'Error:')} ${message}\n`);
  return new CliExit(EXIT_CODES.general, message);
}

/** `1.2 MB`, `845 B`. */
function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
