import { rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BackendConnection, NativeFileTarget, SqlParams } from '../backend/backend.js';
import type { ColumnDef } from '../backend/column-types.js';
import type { ResultSet } from '../backend/result-set.js';
import type { StoredTableMetadata } from '../engine/records.js';
import type { StorageEngine } from '../engine/storage-engine.js';
import { InvalidArgumentError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';
import { fileBytes } from '../util/file-bytes.js';
import { PACKAGE_VERSION } from '../version.js';
import { sidecarPathFor, sidecarText } from './export-sidecar.js';
import type { ExportOptions, ExportResult } from './export-types.js';
import {
  assertWritable,
  positiveInteger,
  resolveCompression,
  resolveFormat,
  resolvePathOption,
} from './file-options.js';
import { withNativeFileIo } from './native-file-io.js';
import { csvEncoder, csvHeader, jsonlEncoder, spoolEncoder, writeRows } from './row-writers.js';
import { ChecksumAccumulator, type TableChecksum } from './table-checksum.js';
import { describeTableLayout, resultColumnsLayout, selectAllSql, type TableKind } from './table-layout.js';
import { TextFileSink, writeViaTempFile } from './text-file-sink.js';

/** What an export needs from the engine: its public face and its backend (for native writers). */
export interface ExportContext {
  readonly storage: StorageEngine;
  readonly backend: BackendConnection;
}

/** One export's data: a query, the portable columns it yields, and what it is. */
interface ExportSource {
  readonly table: string | null;
  readonly type: TableKind;
  readonly columns: readonly ColumnDef[];
  /** Query columns may still be refined from the first rows (SQLite expressions have no type). */
  readonly refineColumns: boolean;
  readonly sql: string;
  readonly params: SqlParams;
  readonly metadata: StoredTableMetadata | null;
}

/** Exports a whole table (`storage.exportTable`). */
export async function exportTable(
  ctx: ExportContext,
  name: string,
  options: ExportOptions,
): Promise<ExportResult> {
  const layout = await describeTableLayout(ctx.storage, name);
  return runExport(
    ctx,
    {
      table: name,
      type: layout.type,
      columns: layout.columns,
      refineColumns: false,
      sql: selectAllSql(ctx.storage.dialect, layout),
      params: [],
      metadata: layout.metadata,
    },
    options,
  );
}

/** Exports the result of a query (`storage.exportQuery`); it is written as an `other` table. */
export async function exportQuery(
  ctx: ExportContext,
  sql: string,
  params: SqlParams | undefined,
  options: ExportOptions,
): Promise<ExportResult> {
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw new InvalidArgumentError('exportQuery needs the SQL text of a query.', {
      details: { option: 'sql' },
    });
  }
  const query = sql.trim().replace(/;\s*$/, '');
  // Zero rows, but every engine reports the result's columns (and DuckDB and PostgreSQL their types).
  const probe = await ctx.storage.executeRows(
    `SELECT * FROM (${query}) AS mp_export_query LIMIT 0`,
    params ?? [],
  );
  return runExport(
    ctx,
    {
      table: null,
      type: 'other',
      columns: resultColumnsLayout(ctx.storage.dialect, probe.columns),
      refineColumns: true,
      sql: query,
      params: params ?? [],
      metadata: null,
    },
    options,
  );
}

/** The first batch of a stream (if any) and the stream again from its start. */
async function peek(
  batches: AsyncIterable<ResultSet>,
): Promise<{ first: ResultSet | null; all: AsyncIterable<ResultSet> }> {
  const iterator = batches[Symbol.asyncIterator]();
  const head = await iterator.next();
  const first = head.done ? null : head.value;
  async function* all(): AsyncGenerator<ResultSet> {
    try {
      if (first) yield first;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  }
  return { first, all: all() };
}

type WriteOptions = Parameters<typeof writeRows>[3];

async function runExport(
  ctx: ExportContext,
  source: ExportSource,
  options: ExportOptions,
): Promise<ExportResult> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('Export options are required: { path, format?, compression? }.', {
      details: { option: 'path' },
    });
  }
  const started = performance.now();
  const path = resolvePathOption(options.path);
  const format = resolveFormat(options.format, path);
  const compression = resolveCompression(options.compression, format, path);
  assertWritable(path, options.overwrite);
  const batchRows = positiveInteger(options.batchRows, 'batchRows', 10_000);
  const { signal } = options;
  throwIfAborted(signal, 'Export');

  const fileIo = ctx.backend.capabilities.nativeFileIo ? ctx.backend.fileIo : undefined;
  const native = format !== 'jsonl' && fileIo !== undefined;
  const method: ExportResult['method'] = native ? 'native' : format === 'parquet' ? 'spool' : 'stream';
  let columns = source.columns;

  const bulk = <T>(work: () => Promise<T>) => ctx.backend.withBulkMemoryLimit?.(work) ?? work();
  const written = await bulk(() =>
    writeViaTempFile(path, async (temp): Promise<{ rows: number; checksum: TableChecksum | null }> => {
      // A table has no row order to keep; a query's ORDER BY must survive.
      const target: NativeFileTarget = { path: temp, format, compression, ordered: source.table === null };
      if (native) {
        const rows = await fileIo.exportQuery(source.sql, source.params, target, signal ? { signal } : {});
        options.onProgress?.(rows);
        return { rows, checksum: null };
      }
      const { first, all } = await peek(
        ctx.storage.streamRows(source.sql, source.params, { batchRows, ...(signal ? { signal } : {}) }),
      );
      if (source.refineColumns && first)
        columns = resultColumnsLayout(ctx.storage.dialect, first.columns, first.rows);
      const accumulator = options.checksum ? new ChecksumAccumulator(columns) : undefined;
      const write: WriteOptions = {
        ...(accumulator ? { checksum: accumulator } : {}),
        onProgress: options.onProgress,
        signal,
      };
      let rows: number;
      if (format === 'parquet') {
        rows = await writeSpoolThenConvert(target, columns, all, write);
      } else {
        const sink = new TextFileSink(temp, compression === 'gzip');
        try {
          if (format === 'csv') await sink.write(csvHeader(columns));
          const encode = format === 'csv' ? csvEncoder(columns) : jsonlEncoder(source.type, columns);
          rows = await writeRows(sink, all, encode, write);
          await sink.end();
        } catch (error) {
          sink.destroy();
          throw error;
        }
      }
      return { rows, checksum: accumulator?.result() ?? null };
    }),
  );
  const { rows } = written;
  let checksum = written.checksum;

  if (options.checksum && checksum === null)
    checksum = await checksumOfQuery(ctx.storage, source, columns, signal);
  const sidecarPath = options.sidecar === false ? null : sidecarPathFor(path);
  if (sidecarPath !== null) {
    const text = sidecarText({
      file: basename(path),
      fileFormat: format,
      compression,
      table: source.table,
      type: source.type,
      columns,
      rows,
      checksum: checksum?.checksum ?? null,
      metadata: source.metadata,
      exportedAt: new Date().toISOString(),
      packageVersion: PACKAGE_VERSION,
      backend: ctx.storage.backend,
    });
    await writeViaTempFile(sidecarPath, async (temp) => writeFileSync(temp, text));
  }
  return {
    path,
    sidecarPath,
    format,
    compression,
    table: source.table,
    type: source.type,
    rows,
    bytes: fileBytes(path),
    method,
    checksum: checksum?.checksum ?? null,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Parquet without a native writer: rows stream into a JSON-lines spool beside the output (constant
 * memory, one batch at a time), then a native writer converts the spool in one streaming COPY.
 */
async function writeSpoolThenConvert(
  target: NativeFileTarget,
  columns: readonly ColumnDef[],
  batches: AsyncIterable<ResultSet>,
  write: WriteOptions,
): Promise<number> {
  const spoolPath = `${target.path}.spool.jsonl`;
  try {
    const sink = new TextFileSink(spoolPath, false);
    let rows: number;
    try {
      rows = await writeRows(sink, batches, spoolEncoder(columns), write);
      await sink.end();
    } catch (error) {
      sink.destroy();
      throw error;
    }
    await withNativeFileIo(null, (fileIo) =>
      fileIo.convertSpool({ path: spoolPath, columns }, target, write.signal ? { signal: write.signal } : {}),
    );
    return rows;
  } finally {
    rmSync(spoolPath, { force: true });
  }
}

/** A second pass for the checksum, after a native write. */
async function checksumOfQuery(
  storage: StorageEngine,
  source: ExportSource,
  columns: readonly ColumnDef[],
  signal: AbortSignal | undefined,
): Promise<TableChecksum> {
  const accumulator = new ChecksumAccumulator(columns);
  for await (const batch of storage.streamRows(source.sql, source.params, signal ? { signal } : {})) {
    throwIfAborted(signal, 'Checksum');
    for (const row of batch.rows) accumulator.add(row);
  }
  return accumulator.result();
}
