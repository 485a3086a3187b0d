import type { BackendConnection, Session } from '../backend/backend.js';
import type { ColumnDef, WriteValue } from '../backend/column-types.js';
import { InvalidArgumentError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';
import { EventRowBuilder, ProfileRowBuilder } from './event-rows.js';
import type { MetadataStore } from './metadata-store.js';
import { canLoadExportFiles, exportFilesUnsupported, MixpanelExportFile } from './mixpanel-export-file.js';
import { NativeStagedSource } from './native-staged-source.js';
import { PreparedExportFile } from './prepared-export-file.js';
import { type BatchCounter, type RecordSource, recordBatches } from './record-batches.js';
import type { EventRecord, IngestOptions, ProfileRecord, TableType } from './records.js';
import { RepeatProbe } from './repeat-probe.js';
import { columnList, createTableSql, deleteLosersSql, deleteStagingLosersSql } from './statements.js';
import { internalTableName } from './table-name.js';
import {
  EVENT_COLUMNS,
  EVENT_KEY,
  EVENT_STAGING_COLUMNS,
  PROFILE_COLUMNS,
  PROFILE_STAGING_COLUMNS,
} from './table-schemas.js';

/**
 * How rows reach a new or staging table inside a write transaction: the two kinds of table
 * (events, profiles), staging (with `_proc`/`_seq`, in-place removal of duplicate losers), the
 * in-place create of events tables, and the promotion of staging to the final table. The
 * transactions themselves, appends and renames are in `table-writes.ts`.
 */

export interface Kind<R> {
  readonly type: TableType;
  readonly columns: readonly ColumnDef[];
  readonly stagingColumns: readonly ColumnDef[];
  readonly key: readonly string[];
  /** Staging column that picks the winner among duplicates (largest wins, then latest in source). */
  readonly winnerOrder: string;
  /** The staging table can become the final table by dropping its extra columns (no primary key to add). */
  readonly stagingBecomesTable: boolean;
  readonly rowBuilder: () => { build(record: R): WriteValue[] };
}

export const EVENTS: Kind<EventRecord> = {
  type: 'events',
  columns: EVENT_COLUMNS,
  stagingColumns: EVENT_STAGING_COLUMNS,
  key: EVENT_KEY,
  winnerOrder: '_proc',
  stagingBecomesTable: true,
  rowBuilder: () => new EventRowBuilder(),
};

export const PROFILES: Kind<ProfileRecord> = {
  type: 'profiles',
  columns: PROFILE_COLUMNS,
  stagingColumns: PROFILE_STAGING_COLUMNS,
  key: ['distinct_id'],
  winnerOrder: 'last_seen',
  stagingBecomesTable: false,
  rowBuilder: () => new ProfileRowBuilder(),
};

/** Everything a write needs from the engine. */
export interface WriteContext {
  readonly connection: BackendConnection;
  readonly metadata: MetadataStore;
}

/**
 * A staging table; a TEMP one lives with the transaction's connection only. A borrowed one was
 * prepared aside ({@link PreparedExportFile}): the write reads it but never drops it (its owner
 * releases it, outside the transaction, which must write to one database only).
 */
export interface StagingTable {
  readonly name: string;
  readonly temporary: boolean;
  readonly borrowed?: boolean;
}

/** Sources that arrive staged or are staged by the backend itself: never written in place. */
export type NativeSource = MixpanelExportFile | NativeStagedSource | PreparedExportFile;

/**
 * Streams `source` into a new staging table and removes the losing copies of duplicate groups within
 * it, so every remaining staged row is unique on the kind's key.
 */
export async function stage<R>(
  session: Session,
  ctx: WriteContext,
  kind: Kind<R>,
  source: RecordSource<R> | NativeSource,
  options: IngestOptions,
): Promise<{ staging: StagingTable; staged: number; duplicates: number }> {
  const { dialect, capabilities } = ctx.connection;
  if (source instanceof PreparedExportFile) {
    if (kind.type !== 'events') throw exportFilesUnsupported(ctx.connection.name);
    throwIfAborted(options.signal, 'Ingestion');
    source.take(ctx.connection);
    options.onProgress?.(source.staged);
    const staging = { name: source.staging, temporary: true, borrowed: true };
    return { staging, staged: source.staged, duplicates: source.duplicates };
  }
  const staging = internalTableName('stage');
  const temporary = source instanceof MixpanelExportFile && capabilities.tempStagingForExportFiles;
  await session.run(createTableSql(dialect, staging, kind.stagingColumns, { temporary }));
  let staged: number;
  // Whether the key's leading column (insert_id, user id) repeated among the JavaScript rows: if
  // not, no duplicate group exists and the dedup statement is skipped. Native file loads have no
  // such rows, and engines with `cheapDuplicateScan` are not tracked: both always run it.
  let probe: RepeatProbe | undefined;
  if (source instanceof MixpanelExportFile) {
    if (kind.type !== 'events' || !canLoadExportFiles(ctx.connection)) {
      throw exportFilesUnsupported(ctx.connection.name);
    }
    throwIfAborted(options.signal, 'Ingestion');
    staged = await ctx.connection.stageMixpanelExport!(session, staging, source.path, {
      timeInMs: source.timeInMs,
    });
    options.onProgress?.(staged);
  } else if (source instanceof NativeStagedSource) {
    if (source.type !== kind.type) {
      throw new InvalidArgumentError(`A ${source.type} source cannot fill a ${kind.type} table.`);
    }
    throwIfAborted(options.signal, 'Ingestion');
    staged = await source.stage(session, staging, options.signal ? { signal: options.signal } : {});
    options.onProgress?.(staged);
    // A native load reports progress once, at the end: an abort requested then still rolls it back.
    throwIfAborted(options.signal, 'Ingestion');
  } else {
    probe = ctx.connection.capabilities.cheapDuplicateScan ? undefined : new RepeatProbe();
    staged = await writeRecords(session, kind, staging, kind.stagingColumns, source, options, probe);
  }
  const duplicates =
    probe && !probe.mayHaveRepeats
      ? 0
      : await session.run(deleteStagingLosersSql(dialect, staging, kind.key, kind.winnerOrder));
  return { staging: { name: staging, temporary }, staged, duplicates };
}

/**
 * Streams JavaScript records through the kind's row builder into `table`, whose `columns` are the
 * staging columns or a prefix of them (the extra staging values are cut off each row in place).
 * With a `probe`, every row's leading key value goes through it, so that it tells afterwards
 * whether a duplicate group can exist at all. Resolves to the number of rows written.
 */
async function writeRecords<R>(
  session: Session,
  kind: Kind<R>,
  table: string,
  columns: readonly ColumnDef[],
  source: RecordSource<R>,
  options: IngestOptions,
  probe: RepeatProbe | undefined,
): Promise<number> {
  const builder = kind.rowBuilder();
  const counter: BatchCounter = { read: 0 };
  const keyAt = kind.stagingColumns.findIndex((c) => c.name === kind.key[0]);
  const width = columns.length;
  const toRow = (record: R) => {
    const row = builder.build(record);
    probe?.add(row[keyAt] as string);
    if (row.length > width) row.length = width;
    return row;
  };
  return session.appendRows(table, columns, recordBatches(source, toRow, counter, options), {
    signal: options.signal,
  });
}

/**
 * Whether a new events table is written straight into place: whenever the dialect can rank
 * duplicates without the staging columns (`_proc` read back from the properties, `_seq` as the
 * fresh table's insertion order). It saves a copy on engines without a cheap DROP COLUMN (SQLite,
 * 1M events: load + index + commit 2.8–5.9 s against 6.8–16 s for staging + copy + drop), and on
 * DuckDB the DROP COLUMNs that turn staging into the table: cheap statements, but they made the
 * COMMIT of a fresh 1M-row table take 0.35–0.64 s instead of 0.1 s (docs/benchmarks.md).
 */
export function writesInPlace(ctx: WriteContext, kind: Kind<unknown>, source: unknown): boolean {
  const { dialect } = ctx.connection;
  return (
    kind.type === 'events' &&
    dialect.jsonIntegerMember !== undefined &&
    dialect.insertionOrder !== undefined &&
    !(source instanceof MixpanelExportFile) &&
    !(source instanceof NativeStagedSource) &&
    !(source instanceof PreparedExportFile)
  );
}

/**
 * Creates events table `name` (or its replacement, renamed into place last) from JavaScript records
 * without a staging table. The staging columns are not needed: `_seq` is the fresh table's insertion
 * order and `_proc` is read back from the properties by the same rule, so the losers of duplicate
 * groups are deleted exactly as the staging path would delete them (unless the probe, where the
 * engine keeps one, saw no repeated insert_id).
 */
export async function createEventsInPlace(
  session: Session,
  ctx: WriteContext,
  name: string,
  source: RecordSource<EventRecord>,
  replacing: boolean,
  options: IngestOptions,
): Promise<{ staged: number; duplicates: number }> {
  const { dialect, capabilities } = ctx.connection;
  const q = (n: string) => dialect.quoteIdentifier(n);
  const ready = replacing ? internalTableName('new') : name;
  await session.run(createTableSql(dialect, ready, EVENT_COLUMNS));
  const probe = capabilities.cheapDuplicateScan ? undefined : new RepeatProbe();
  const written = await writeRecords(session, EVENTS, ready, EVENT_COLUMNS, source, options, probe);
  const duplicates =
    probe && !probe.mayHaveRepeats
      ? 0
      : await session.run(
          deleteLosersSql(dialect, ready, EVENT_KEY, {
            winner: dialect.jsonIntegerMember!(q('properties'), 'mp_processing_time_ms'),
            rowId: dialect.insertionOrder!,
          }),
          undefined,
          { lowMemory: true },
        );
  if (replacing) {
    await session.run(`DROP TABLE ${q(name)}`);
    await session.run(`ALTER TABLE ${q(ready)} RENAME TO ${q(name)}`);
  }
  return { staged: written, duplicates };
}

/** Turns the staging table into table `name` (dropping a replaced one), copying rows only if needed. */
export async function promoteStaging(
  session: Session,
  ctx: WriteContext,
  kind: Kind<unknown>,
  staging: StagingTable,
  name: string,
  replacing: boolean,
): Promise<void> {
  const { dialect, capabilities } = ctx.connection;
  const q = (n: string) => dialect.quoteIdentifier(n);
  let ready = staging.name;
  // A TEMP staging table cannot become a table of the database: it is copied like on SQLite.
  if (kind.stagingBecomesTable && capabilities.cheapDropColumn && !staging.temporary) {
    // A catalog change on DuckDB and PostgreSQL: the staged rows become the table without a copy.
    const keep = new Set(kind.columns.map((c) => c.name));
    for (const column of kind.stagingColumns) {
      if (!keep.has(column.name))
        await session.run(`ALTER TABLE ${q(staging.name)} DROP COLUMN ${q(column.name)}`);
    }
  } else {
    ready = replacing ? internalTableName('new') : name;
    await session.run(createTableSql(dialect, ready, kind.columns));
    await session.run(
      `INSERT INTO ${q(ready)} (${columnList(dialect, kind.columns)}) SELECT ${columnList(dialect, kind.columns)} FROM ${q(staging.name)}`,
    );
    if (!staging.borrowed) await session.run(`DROP TABLE ${q(staging.name)}`);
  }
  // The swap comes last, so a replaced table stays readable (PostgreSQL readers only wait for the
  // brief DROP/RENAME, not for the whole load).
  if (replacing) await session.run(`DROP TABLE ${q(name)}`);
  if (ready !== name) await session.run(`ALTER TABLE ${q(ready)} RENAME TO ${q(name)}`);
}

export async function createIndexIfNeeded(
  session: Session,
  ctx: WriteContext,
  table: string,
  kind: Kind<unknown>,
) {
  const { dialect, capabilities } = ctx.connection;
  // Profiles already have their primary key; events get an index where anti-joins need one. It
  // covers only the key's leading column, insert_id: nearly unique, so the lookup lands on one or two
  // rows and checks the rest there, while the index costs about half of a four-column one to build.
  if (!capabilities.dedupNeedsIndex || kind.type !== 'events') return;
  const q = (n: string) => dialect.quoteIdentifier(n);
  await session.run(`CREATE INDEX ${q(`${table}_dedup_key`)} ON ${q(table)} (${q(kind.key[0]!)})`);
}
