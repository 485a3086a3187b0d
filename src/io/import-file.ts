import { basename } from 'node:path';
import type { BackendFileIo, NativeImportFile, NativeImportPlan, Session } from '../backend/backend.js';
import type { ColumnDef } from '../backend/column-types.js';
import { MixpanelExportFile } from '../engine/mixpanel-export-file.js';
import type { RecordSource } from '../engine/record-batches.js';
import type {
  AppendResult,
  EventRecord,
  IngestOptions,
  StoredTableMetadata,
  TableType,
} from '../engine/records.js';
import { AbortedError, FileNotFoundError, InvalidArgumentError } from '../errors.js';
import { type ExportSidecar, readSidecar, sidecarPathFor } from './export-sidecar.js';
import type { ExportContext } from './export-table.js';
import { resolveFormat, resolvePathOption } from './file-options.js';
import { assertFileExists, isGzip, readCsv, readJsonLines, readParquet } from './file-readers.js';
import {
  eventRecords,
  type FileObjects,
  openFileObjects,
  profileRecords,
  tableRows,
} from './import-records.js';
import type { ImportLane, ImportOptions, ImportResult, ImportVerification } from './import-types.js';
import type { NativeLoad, TableLoad } from './load-table.js';
import { withNativeFileIo } from './native-file-io.js';
import { isNativeMixpanelJsonl } from './native-jsonl-eligibility.js';
import { tableChecksum } from './table-checksum.js';
import { columnsFromTypeNames, KIND_COLUMNS, type TableKind } from './table-layout.js';

const KINDS: readonly TableKind[] = ['events', 'profiles', 'other'];

/** What one import wrote, before verification. */
interface Written {
  readonly inserted: number;
  readonly updated: number;
  readonly duplicates: number;
  readonly metadataRestored: boolean;
  /** `native` when the engine's own reader staged the rows. Default `javascript`. */
  readonly lane?: ImportLane;
}

/** The native reader refused a row: the import is rolled back and re-read in JavaScript. */
class NativeLaneRejected extends Error {
  constructor(cause: unknown) {
    super(`the native reader rejected the file: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

function resolveType(option: unknown, sidecar: ExportSidecar | null): TableKind {
  if (option !== undefined && !KINDS.includes(option as TableKind)) {
    throw new InvalidArgumentError(`Invalid type ${JSON.stringify(option)}: use events, profiles or other.`, {
      details: { option: 'type' },
    });
  }
  if (option !== undefined && sidecar !== null && option !== sidecar.type) {
    throw new InvalidArgumentError(
      `type '${String(option)}' contradicts the sidecar, which says '${sidecar.type}'.`,
      {
        details: { option: 'type' },
      },
    );
  }
  const type = (option as TableKind | undefined) ?? sidecar?.type;
  if (type === undefined) {
    throw new InvalidArgumentError(
      "Pass type ('events' or 'profiles'): the file has no sidecar saying what it holds.",
      {
        details: { option: 'type' },
      },
    );
  }
  return type;
}

function loadSidecar(file: string, option: string | false | undefined): ExportSidecar | null {
  if (option === false) return null;
  if (option !== undefined) {
    const path = resolvePathOption(option, 'sidecar');
    if (readSidecar(path) === null) throw new FileNotFoundError(path);
    return readSidecar(path);
  }
  return readSidecar(sidecarPathFor(file));
}

/** Imports a file into table `name` (`storage.importFile`). */
export async function importFile(
  ctx: ExportContext,
  name: string,
  path: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const started = performance.now();
  const file = resolvePathOption(path);
  assertFileExists(file);
  if (options.append && options.replace) {
    throw new InvalidArgumentError('append and replace cannot be combined: choose one.', {
      details: { option: 'replace' },
    });
  }
  const format = resolveFormat(options.format, file);
  const sidecar = loadSidecar(file, options.sidecar);
  const type = resolveType(options.type, sidecar);
  if (type === 'other' && options.append) {
    throw new InvalidArgumentError('append works for events and profiles tables only.', {
      details: { option: 'append' },
    });
  }
  const counter = { read: 0 };
  const ingest: IngestOptions = {
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const run = async (fileIo: BackendFileIo | null): Promise<Written> => {
    const objects = await openFileObjects(file, format, fileIo, options.signal);
    if (type === 'other') {
      const columns = sidecar?.columns ?? (await parquetColumns(fileIo, file, format, options.signal));
      const stored = await ctx.storage.loadTable(
        name,
        {
          type: 'other',
          columns,
          rows: tableRows(objects, columns, counter),
          metadata: sidecar?.metadata ?? null,
        },
        { ...ingest, replace: options.replace === true },
      );
      return { inserted: stored, updated: 0, duplicates: 0, metadataRestored: sidecar?.metadata != null };
    }
    return writeKind(ctx, { name, type, file, exportLane }, objects, sidecar, options, ingest, counter);
  };
  // Raw Mixpanel export lines the engine's export loader takes as they are (the fetch path's lane).
  const exportLane =
    type === 'events' &&
    format === 'jsonl' &&
    ctx.storage.supportsMixpanelExportFiles &&
    (await isNativeMixpanelJsonl(file, options.signal));
  let written: Written | null = null;
  let laneReason: string | null = null;
  if (type !== 'other' && !exportLane) {
    const plan = await planNative(ctx, type, file, format, options.timeInMs === true, options.signal);
    if (plan?.native) {
      try {
        written = await writeNative(ctx, { name, type, file }, plan, sidecar, options, ingest, counter);
      } catch (error) {
        if (!(error instanceof NativeLaneRejected)) throw error;
        laneReason = error.message;
        counter.read = 0;
      }
    } else if (plan) laneReason = plan.reason;
  }
  written ??= format === 'parquet' ? await withNativeFileIo(ctx.backend, run) : await run(null);
  const verification =
    options.append || sidecar === null ? null : await verify(ctx, name, type, sidecar, options.signal);
  return {
    table: name,
    type,
    format,
    path: file,
    rowsRead: counter.read,
    inserted: written.inserted,
    updated: written.updated,
    duplicates: written.duplicates,
    metadataRestored: written.metadataRestored,
    lane: written.lane ?? 'javascript',
    laneReason: written.lane === 'native' ? null : laneReason,
    verification,
    durationMs: Math.round(performance.now() - started),
  };
}

async function writeKind(
  ctx: ExportContext,
  { name, type, file, exportLane }: { name: string; type: TableType; file: string; exportLane: boolean },
  objects: FileObjects,
  sidecar: ExportSidecar | null,
  options: ImportOptions,
  ingest: IngestOptions,
  counter: { read: number },
): Promise<Written> {
  const { storage } = ctx;
  const metadata: StoredTableMetadata | null = sidecar?.metadata?.type === type ? sidecar.metadata : null;
  const timeInMs = options.timeInMs === true;
  // Raw Mixpanel export lines go to the engine's native JSON loader when it has one (DuckDB's
  // read_json: no JavaScript parse per event); other raw lines (gzip, restore annotations, wide
  // integers) were offered to the backend's import plan first. Same validation, dedup and atomicity.
  if (exportLane) {
    const source = new MixpanelExportFile(file, { timeInMs });
    ingest = {
      ...ingest,
      onProgress: (rows: number) => {
        counter.read = rows;
        options.onProgress?.(rows);
      },
    };
    return {
      ...(await writeEvents(storage, name, file, source, metadata, options, ingest, counter)),
      lane: 'native',
    };
  }
  if (type === 'events') {
    return writeEvents(
      storage,
      name,
      file,
      eventRecords(objects, timeInMs, counter),
      metadata,
      options,
      ingest,
      counter,
    );
  }
  if (options.append) {
    const range = { fromDate: metadata?.fromDate ?? null, toDate: metadata?.toDate ?? null };
    const result: AppendResult = await storage.appendProfilesTable(name, profileRecords(objects, counter), {
      ...ingest,
      ...range,
    });
    return { ...result, metadataRestored: false };
  }
  const create = { ...ingest, replace: options.replace === true };
  const stored =
    metadata !== null
      ? await storage.loadTable(
          name,
          { type: 'profiles', records: profileRecords(objects, counter), metadata },
          create,
        )
      : await storage.createProfilesTable(
          name,
          profileRecords(objects, counter),
          { type: 'profiles', source: `file:${basename(file)}` },
          create,
        );
  return createdResult(stored, counter, metadata);
}

/** The result of a create or load: every row read was stored or was a duplicate. */
function createdResult(
  stored: number,
  counter: { read: number },
  metadata: StoredTableMetadata | null,
): Written {
  return {
    inserted: stored,
    updated: 0,
    duplicates: counter.read - stored,
    metadataRestored: metadata !== null,
  };
}

/** Writes an events table from records or a native export file: append, load with metadata, or create. */
async function writeEvents(
  storage: ExportContext['storage'],
  name: string,
  file: string,
  source: RecordSource<EventRecord> | MixpanelExportFile,
  metadata: StoredTableMetadata | null,
  options: ImportOptions,
  ingest: IngestOptions,
  counter: { read: number },
): Promise<Written> {
  if (options.append) {
    const range = { fromDate: metadata?.fromDate ?? null, toDate: metadata?.toDate ?? null };
    const result = await storage.appendEventsTable(name, source, { ...ingest, ...range });
    return { ...result, metadataRestored: false };
  }
  const create = { ...ingest, replace: options.replace === true };
  const stored =
    metadata !== null
      ? await storage.loadTable(name, { type: 'events', records: source, metadata }, create)
      : await storage.createEventsTable(
          name,
          source,
          { type: 'events', source: `file:${basename(file)}` },
          create,
        );
  return createdResult(stored, counter, metadata);
}

/** The key that marks a row of the flat layout, and the pair that marks Mixpanel's own shape instead. */
const FLAT_KEYS: Readonly<Record<TableType, { flat: string; raw: readonly [string, string] }>> = {
  events: { flat: 'event_name', raw: ['event', 'properties'] },
  profiles: { flat: 'distinct_id', raw: ['$distinct_id', '$properties'] },
};

/**
 * The backend's plan for loading an events or profiles file with its own reader, or null when it
 * has none or the file has neither layout it takes: flat columns, or Mixpanel's own shapes (raw
 * event lines, Engage profile lines).
 */
async function planNative(
  ctx: ExportContext,
  type: TableType,
  file: string,
  format: string,
  timeInMs: boolean,
  signal: AbortSignal | undefined,
): Promise<NativeImportPlan | null> {
  const fileIo = ctx.backend.capabilities.nativeFileIo ? ctx.backend.fileIo : undefined;
  if (!fileIo?.planImport) return null;
  const gzip = format !== 'parquet' && (await isGzip(file));
  let header: string[] | null = null;
  let layout: NativeImportFile['layout'] = 'columns';
  if (format === 'csv') {
    const csv = await readCsv(file, signal);
    header = csv.header;
    await csv.records.return(undefined);
  } else if (format === 'jsonl') {
    const keys = await firstLineKeys(file, signal);
    if (keys === null) return { native: false, reason: 'the first line is not a JSON object' };
    const { flat, raw } = FLAT_KEYS[type];
    if (raw.every((key) => keys.includes(key))) layout = 'mixpanel';
    else if (!keys.includes(flat)) return null;
  }
  return fileIo.planImport(
    { type, layout, path: file, format: format as 'parquet' | 'csv' | 'jsonl', gzip, header, timeInMs },
    signal ? { signal } : {},
  );
}

/** The keys of a JSON lines file's first object, or null when it holds none. */
async function firstLineKeys(file: string, signal: AbortSignal | undefined): Promise<string[] | null> {
  const lines = readJsonLines(file, signal);
  try {
    const first = await lines.next();
    const value = first.done ? undefined : first.value[0]?.value;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : null;
  } catch {
    return null;
  } finally {
    await lines.return(undefined);
  }
}

/** Writes an events or profiles table whose rows the backend stages itself (create, replace or append). */
async function writeNative(
  ctx: ExportContext,
  { name, type, file }: { name: string; type: TableType; file: string },
  plan: Extract<NativeImportPlan, { native: true }>,
  sidecar: ExportSidecar | null,
  options: ImportOptions,
  ingest: IngestOptions,
  counter: { read: number },
): Promise<Written> {
  const { signal } = options;
  const metadata: StoredTableMetadata | null = sidecar?.metadata?.type === type ? sidecar.metadata : null;
  const stage = async (session: Session, staging: string): Promise<number> => {
    try {
      return await plan.stage(session, staging, signal ? { signal } : {});
    } catch (error) {
      if (signal?.aborted || error instanceof AbortedError) throw error;
      throw new NativeLaneRejected(error);
    }
  };
  let appended: AppendResult | null = null;
  const load: NativeLoad = {
    type: 'native',
    kind: type,
    stage,
    metadata: options.append ? null : metadata,
    create: { type, source: `file:${basename(file)}` },
    append: options.append
      ? { fromDate: metadata?.fromDate ?? null, toDate: metadata?.toDate ?? null }
      : null,
    onAppend: (result: AppendResult) => {
      appended = result;
    },
  };
  const stored = await ctx.storage.loadTable(name, load as unknown as TableLoad, {
    ...ingest,
    onProgress: (rows: number) => {
      counter.read = rows;
      options.onProgress?.(rows);
    },
    replace: options.replace === true,
  });
  const result = appended as AppendResult | null;
  if (result !== null) return { ...result, metadataRestored: false, lane: 'native' };
  return { ...createdResult(stored, counter, metadata), lane: 'native' };
}

/** The columns of a Parquet file from its first batch (another table imported without a sidecar). */
async function parquetColumns(
  fileIo: BackendFileIo | null,
  file: string,
  format: string,
  signal: AbortSignal | undefined,
): Promise<ColumnDef[]> {
  if (format !== 'parquet' || fileIo === null) {
    throw new InvalidArgumentError(
      "Importing another table (type 'other') from CSV or JSON lines needs the export's sidecar for its columns.",
      { details: { option: 'sidecar' } },
    );
  }
  for await (const batch of readParquet(fileIo, file, signal))
    return columnsFromTypeNames(batch.columns, batch.rows);
  throw new InvalidArgumentError(
    `${file} holds no rows to tell its columns from; import it with its sidecar.`,
    {
      details: { option: 'sidecar' },
    },
  );
}

/** Compares the imported table with its sidecar: row count, and checksum when the export had one. */
async function verify(
  ctx: ExportContext,
  name: string,
  type: TableKind,
  sidecar: ExportSidecar,
  signal: AbortSignal | undefined,
): Promise<ImportVerification> {
  const columns = type === 'other' ? sidecar.columns : KIND_COLUMNS[type];
  if (sidecar.checksum !== null) {
    const actual = await tableChecksum(ctx.storage, { name, columns }, signal ? { signal } : {});
    return {
      expectedRows: sidecar.rows,
      actualRows: actual.rows,
      expectedChecksum: sidecar.checksum,
      actualChecksum: actual.checksum,
      ok: actual.rows === sidecar.rows && actual.checksum === sidecar.checksum,
    };
  }
  const q = ctx.storage.dialect.quoteIdentifier(name);
  const actualRows = Number(await ctx.storage.executeScalar(`SELECT count(*) FROM ${q}`));
  return {
    expectedRows: sidecar.rows,
    actualRows,
    expectedChecksum: null,
    actualChecksum: null,
    ok: actualRows === sidecar.rows,
  };
}
