import type { BackendConnection, Session } from '../backend/backend.js';
import type { ColumnDef, WriteValue } from '../backend/column-types.js';
import { InvalidArgumentError, TableExistsError, TableNotFoundError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';
import { EventRowBuilder, ProfileRowBuilder } from './event-rows.js';
import type { MetadataStore } from './metadata-store.js';
import { exportFilesUnsupported, MixpanelExportFile } from './mixpanel-export-file.js';
import { NativeStagedSource } from './native-staged-source.js';
import { type BatchCounter, type RecordSource, recordBatches } from './record-batches.js';
import type {
  AppendResult,
  CreateTableOptions,
  EventRecord,
  IngestOptions,
  ProfileRecord,
  TableMetadata,
  TableType,
} from './records.js';
import { RepeatProbe } from './repeat-probe.js';
import {
  columnList,
  createTableSql,
  deleteLosersSql,
  deleteStagingLosersSql,
  keyMatch,
} from './statements.js';
import { internalTableName } from './table-name.js';
import {
  EVENT_COLUMNS,
  EVENT_KEY,
  EVENT_STAGING_COLUMNS,
  METADATA_TABLE,
  PROFILE_COLUMNS,
  PROFILE_STAGING_COLUMNS,
} from './table-schemas.js';

/**
 * The write paths. Every one runs inside ONE transaction: records stream through the native bulk
 * path into a staging table, duplicates are resolved in SQL, the result lands in the target and
 * `_metadata` is updated, then COMMIT. A bad record, an abort, an error or a killed process before
 * COMMIT leaves the database exactly as it was: no half table, no orphan metadata row.
 */

interface Kind<R> {
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

/** A staging table; a TEMP one lives with the transaction's connection only. */
interface StagingTable {
  readonly name: string;
  readonly temporary: boolean;
}

/**
 * Streams `source` into a new staging table and removes the losing copies of duplicate groups within
 * it, so every remaining staged row is unique on the kind's key.
 */
async function stage<R>(
  session: Session,
  ctx: WriteContext,
  kind: Kind<R>,
  source: RecordSource<R> | MixpanelExportFile | NativeStagedSource,
  options: IngestOptions,
): Promise<{ staging: StagingTable; staged: number; duplicates: number }> {
  const { dialect, capabilities } = ctx.connection;
  const staging = internalTableName('stage');
  const temporary = source instanceof MixpanelExportFile && capabilities.tempStagingForExportFiles;
  await session.run(createTableSql(dialect, staging, kind.stagingColumns, { temporary }));
  let staged: number;
  // Whether the key's leading column (insert_id, user id) repeated among the JavaScript rows: if
  // not, no duplicate group exists and the dedup statement is skipped. Native file loads have no
  // such rows, and engines with `cheapDuplicateScan` are not tracked: both always run it.
  let probe: RepeatProbe | undefined;
  if (source instanceof MixpanelExportFile) {
    const load = ctx.connection.stageMixpanelExport;
    if (kind.type !== 'events' || !ctx.connection.capabilities.nativeMixpanelExport || !load) {
      throw exportFilesUnsupported(ctx.connection.name);
    }
    throwIfAborted(options.signal, 'Ingestion');
    staged = await load.call(ctx.connection, session, staging, source.path, { timeInMs: source.timeInMs });
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
function writesInPlace(ctx: WriteContext, kind: Kind<unknown>, source: unknown): boolean {
  const { dialect } = ctx.connection;
  return (
    kind.type === 'events' &&
    dialect.jsonIntegerMember !== undefined &&
    dialect.insertionOrder !== undefined &&
    !(source instanceof MixpanelExportFile) &&
    !(source instanceof NativeStagedSource)
  );
}

/**
 * Creates events table `name` (or its replacement, renamed into place last) from JavaScript records
 * without a staging table. The staging columns are not needed: `_seq` is the fresh table's insertion
 * order and `_proc` is read back from the properties by the same rule, so the losers of duplicate
 * groups are deleted exactly as the staging path would delete them (unless the probe, where the
 * engine keeps one, saw no repeated insert_id).
 */
async function createEventsInPlace(
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
        );
  if (replacing) {
    await session.run(`DROP TABLE ${q(name)}`);
    await session.run(`ALTER TABLE ${q(ready)} RENAME TO ${q(name)}`);
  }
  return { staged: written, duplicates };
}

/** Turns the staging table into table `name` (dropping a replaced one), copying rows only if needed. */
async function promoteStaging(
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
    await session.run(`DROP TABLE ${q(staging.name)}`);
  }
  // The swap comes last, so a replaced table stays readable (PostgreSQL readers only wait for the
  // brief DROP/RENAME, not for the whole load).
  if (replacing) await session.run(`DROP TABLE ${q(name)}`);
  if (ready !== name) await session.run(`ALTER TABLE ${q(ready)} RENAME TO ${q(name)}`);
}

async function createIndexIfNeeded(session: Session, ctx: WriteContext, table: string, kind: Kind<unknown>) {
  const { dialect, capabilities } = ctx.connection;
  // Profiles already have their primary key; events get an index where anti-joins need one. It
  // covers only the key's leading column, insert_id: nearly unique, so the lookup lands on one or two
  // rows and checks the rest there, while the index costs about half of a four-column one to build.
  if (!capabilities.dedupNeedsIndex || kind.type !== 'events') return;
  const q = (n: string) => dialect.quoteIdentifier(n);
  await session.run(`CREATE INDEX ${q(`${table}_dedup_key`)} ON ${q(table)} (${q(kind.key[0]!)})`);
}

/** Creates (or atomically replaces) a table from `source`; resolves to the number of rows stored. */
export async function createTable<R>(
  ctx: WriteContext,
  kind: Kind<R>,
  name: string,
  source: RecordSource<R> | MixpanelExportFile | NativeStagedSource,
  metadata: TableMetadata,
  options: CreateTableOptions,
): Promise<number> {
  // Read the catalog before the transaction: a PostgreSQL pool of one connection would otherwise wait
  // on itself. A table created meanwhile by another process makes CREATE/RENAME fail and roll back.
  const tables = await ctx.connection.listTables();
  const exists = tables.includes(name);
  if (exists && !options.replace) throw new TableExistsError(name);
  return ctx.connection.transaction(async (session) => {
    await ctx.metadata.ensure(session, tables);
    let staged: number;
    let duplicates: number;
    if (writesInPlace(ctx, kind as Kind<unknown>, source)) {
      const events = source as RecordSource<EventRecord>;
      ({ staged, duplicates } = await createEventsInPlace(session, ctx, name, events, exists, options));
    } else {
      let staging: StagingTable;
      ({ staging, staged, duplicates } = await stage(session, ctx, kind, source, options));
      await promoteStaging(session, ctx, kind as Kind<unknown>, staging, name, exists);
    }
    await createIndexIfNeeded(session, ctx, name, kind as Kind<unknown>);
    const stored = staged - duplicates;
    await ctx.metadata.write(session, name, { ...metadata, type: kind.type }, stored);
    return stored;
  });
}

/** Extra metadata an append may bring (the Workspace passes the fetched range). */
export interface AppendMetadata {
  readonly fromDate?: string | null;
  readonly toDate?: string | null;
  readonly fetchedAt?: Date;
  /**
   * Events only: delete the stored events with `from <= event_time < to` in the same transaction,
   * before inserting. This is how a re-fetched day replaces its old copy as a unit (late events,
   * Mixpanel's background compaction and identity merges all change a day after it was fetched).
   */
  readonly replaceRange?: { readonly from: Date; readonly to: Date };
}

function widen(
  current: string | null,
  incoming: string | null | undefined,
  pick: 'min' | 'max',
): string | null {
  if (!incoming) return current;
  if (!current) return incoming;
  return (pick === 'min' ? incoming < current : incoming > current) ? incoming : current;
}

async function finishAppend(
  session: Session,
  ctx: WriteContext,
  name: string,
  extra: AppendMetadata,
): Promise<void> {
  const current = await ctx.metadata.read(session, name);
  const q = ctx.connection.dialect.quoteIdentifier(name);
  const { rows } = await session.query(`SELECT count(*) FROM ${q}`);
  const rowCount = Number(rows[0]?.[0] ?? 0);
  if (current) {
    await ctx.metadata.recordAppend(session, name, {
      rowCount,
      fromDate: widen(current.fromDate, extra.fromDate, 'min'),
      toDate: widen(current.toDate, extra.toDate, 'max'),
      fetchedAt: extra.fetchedAt ?? new Date(),
    });
  }
}

async function assertAppendable(ctx: WriteContext, kind: Kind<unknown>, name: string): Promise<void> {
  const columns = await ctx.connection.describeTable(name);
  if (!columns) throw new TableNotFoundError(name);
  const have = new Set(columns.map((c) => c.name));
  const missing = kind.columns.filter((c) => !have.has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new TableNotFoundError(name, {
      details: { reason: `not a ${kind.type} table (missing ${missing.join(', ')})` },
    });
  }
}

/** Appends events, skipping any whose (event_name, distinct_id, event_time, insert_id) is stored. */
export async function appendEvents(
  ctx: WriteContext,
  name: string,
  source: RecordSource<EventRecord> | MixpanelExportFile | NativeStagedSource,
  options: IngestOptions,
  extra: AppendMetadata = {},
): Promise<AppendResult> {
  await assertAppendable(ctx, EVENTS as Kind<unknown>, name);
  const { dialect } = ctx.connection;
  const q = (n: string) => dialect.quoteIdentifier(n);
  return ctx.connection.transaction(async (session) => {
    const {
      staging: { name: staging },
      staged,
      duplicates: repeatedInSource,
    } = await stage(session, ctx, EVENTS, source, options);
    const insertColumns = `INSERT INTO ${q(name)} (${columnList(dialect, EVENT_COLUMNS)}) SELECT ${columnList(dialect, EVENT_COLUMNS, 'w')} FROM ${q(staging)} w`;
    const notStored = `NOT EXISTS (SELECT 1 FROM ${q(name)} t WHERE ${keyMatch(dialect, EVENT_KEY, 't', 'w')})`;
    let replaced = 0;
    let inserted = 0;
    if (extra.replaceRange) {
      const range = [extra.replaceRange.from, extra.replaceRange.to];
      const p1 = dialect.placeholder(1);
      const p2 = dialect.placeholder(2);
      replaced = await session.run(
        `DELETE FROM ${q(name)} WHERE event_time >= ${p1} AND event_time < ${p2}`,
        range,
      );
      // A stored duplicate has the same event_time, so staged events inside the range cannot have
      // one any more: they go in without the anti-join, whose cost grows with the table. Only events
      // outside the range (possible for pre-2023 projects, whose export days are not UTC days) are
      // checked against stored rows.
      inserted = await session.run(
        `${insertColumns} WHERE w.event_time >= ${p1} AND w.event_time < ${p2}`,
        range,
      );
      if (inserted < staged - repeatedInSource) {
        inserted += await session.run(
          `${insertColumns} WHERE (w.event_time < ${p1} OR w.event_time >= ${p2}) AND ${notStored}`,
          range,
        );
      }
    } else {
      inserted = await session.run(`${insertColumns} WHERE ${notStored}`);
    }
    await session.run(`DROP TABLE ${q(staging)}`);
    await finishAppend(session, ctx, name, extra);
    return { inserted, updated: 0, duplicates: staged - inserted, replaced };
  });
}

/**
 * Upserts profiles: the newer profile wins. An incoming profile replaces the stored one unless the
 * stored `last_seen` is strictly newer; among copies in the source, the newest `last_seen` wins
 * (ties: the later record).
 */
export async function appendProfiles(
  ctx: WriteContext,
  name: string,
  source: RecordSource<ProfileRecord> | NativeStagedSource,
  options: IngestOptions,
  extra: AppendMetadata = {},
): Promise<AppendResult> {
  await assertAppendable(ctx, PROFILES as Kind<unknown>, name);
  const { dialect } = ctx.connection;
  const q = (n: string) => dialect.quoteIdentifier(n);
  return ctx.connection.transaction(async (session) => {
    // After `stage`, the staging table holds exactly one winner per distinct_id.
    const {
      staging: { name: staging },
      staged,
    } = await stage(session, ctx, PROFILES, source, options);
    const updated = await session.run(
      `DELETE FROM ${q(name)} WHERE EXISTS (SELECT 1 FROM ${q(staging)} w ` +
        `WHERE w.distinct_id = ${q(name)}.distinct_id ` +
        `AND NOT (${q(name)}.last_seen IS NOT NULL AND (w.last_seen IS NULL OR w.last_seen < ${q(name)}.last_seen)))`,
    );
    const written = await session.run(
      `INSERT INTO ${q(name)} (${columnList(dialect, PROFILE_COLUMNS)}) SELECT ${columnList(dialect, PROFILE_COLUMNS, 'w')} ` +
        `FROM ${q(staging)} w WHERE NOT EXISTS (SELECT 1 FROM ${q(name)} t WHERE t.distinct_id = w.distinct_id)`,
    );
    await session.run(`DROP TABLE ${q(staging)}`);
    await finishAppend(session, ctx, name, extra);
    return { inserted: written - updated, updated, duplicates: staged - written, replaced: 0 };
  });
}

/** Renames a table and its metadata row in one transaction (optionally replacing the target). */
export async function renameTable(
  ctx: WriteContext,
  from: string,
  to: string,
  replace: boolean,
): Promise<void> {
  const tables = await ctx.connection.listTables();
  if (!tables.includes(from)) throw new TableNotFoundError(from);
  const targetExists = tables.includes(to);
  if (targetExists && !replace) throw new TableExistsError(to);
  const q = (n: string) => ctx.connection.dialect.quoteIdentifier(n);
  await ctx.connection.transaction(async (session) => {
    if (targetExists) await session.run(`DROP TABLE ${q(to)}`);
    await session.run(`ALTER TABLE ${q(from)} RENAME TO ${q(to)}`);
    if (tables.includes(METADATA_TABLE)) await ctx.metadata.rename(session, from, to);
  });
}
