import type { Session } from '../backend/backend.js';
import { COLUMN_TYPES, type ColumnDef, type ColumnType } from '../backend/column-types.js';
import type { SqlDialect } from '../backend/sql-dialect.js';
import { MetadataStore } from '../engine/metadata-store.js';
import type { MixpanelExportFile } from '../engine/mixpanel-export-file.js';
import { NativeStagedSource } from '../engine/native-staged-source.js';
import { type BatchCounter, type RecordSource, recordBatches } from '../engine/record-batches.js';
import type {
  AppendResult,
  CreateTableOptions,
  EventRecord,
  ProfileRecord,
  StoredTableMetadata,
  TableMetadata,
  TableType,
} from '../engine/records.js';
import { createTableSql } from '../engine/statements.js';
import { EVENTS, PROFILES, type WriteContext } from '../engine/table-loading.js';
import { internalTableName } from '../engine/table-name.js';
import { METADATA_COLUMNS, METADATA_TABLE } from '../engine/table-schemas.js';
import { type AppendMetadata, appendEvents, appendProfiles, createTable } from '../engine/table-writes.js';
import { InvalidArgumentError, TableExistsError } from '../errors.js';
import { stringifyJson } from '../values/json-text.js';
import { toWriteValue } from './cell-values.js';

/** A column of a table loaded with `loadTable({ type: 'other' })`: a name and a portable type. */
export interface TableColumn {
  readonly name: string;
  /** `string`, `timestamp`, `json`, `int64`, `float64`, `boolean` or `date`. */
  readonly type: ColumnType;
}

/**
 * What `storage.loadTable()` loads: events or profiles records (through the same validation,
 * staging and dedup as `create*Table`), or rows of any other table with portable columns. With
 * `metadata`, the `_metadata` row is written exactly as given (times, package version and row
 * count included) in the same transaction; used by migration, restore and imports of this
 * package's own exports.
 */
export type TableLoad =
  | {
      readonly type: 'events';
      readonly records: RecordSource<EventRecord> | MixpanelExportFile;
      readonly metadata?: StoredTableMetadata | null;
    }
  | {
      readonly type: 'profiles';
      readonly records: RecordSource<ProfileRecord>;
      readonly metadata?: StoredTableMetadata | null;
    }
  | {
      readonly type: 'other';
      readonly columns: readonly TableColumn[];
      /** Rows as arrays in `columns` order, values as read from any backend (the value rule). */
      readonly rows: RecordSource<readonly unknown[]>;
      readonly metadata?: StoredTableMetadata | null;
    };

/**
 * `importFile`'s native lane (internal, not part of {@link TableLoad}): events or profiles the
 * backend's own reader inserts into the engine's staging table (`stage`), followed by the engine's
 * usual dedup, promotion or append (upsert for profiles), and metadata, in ONE transaction, through
 * `storage.loadTable` so the write queue serialises it. An append's result goes to `onAppend`
 * (loadTable resolves to a number).
 */
export interface NativeLoad {
  readonly type: 'native';
  /** The table kind the staged rows belong to. */
  readonly kind: TableType;
  readonly stage: (session: Session, staging: string) => Promise<number>;
  /** Restored verbatim when given; otherwise `create` is the new table's metadata. */
  readonly metadata: StoredTableMetadata | null;
  readonly create: TableMetadata;
  /** Append to the existing table (with these extras) instead of creating it. */
  readonly append: AppendMetadata | null;
  readonly onAppend: (result: AppendResult) => void;
}

async function loadNative(
  ctx: WriteContext,
  name: string,
  load: NativeLoad,
  options: CreateTableOptions,
): Promise<number> {
  const metadata = load.metadata
    ? new VerbatimMetadataStore(ctx.connection.dialect, load.metadata)
    : ctx.metadata;
  const writeCtx: WriteContext = { connection: ctx.connection, metadata };
  const source = new NativeStagedSource(load.kind, (session, staging) => load.stage(session, staging));
  if (load.append) {
    const append = load.kind === 'events' ? appendEvents : appendProfiles;
    const result = await append(writeCtx, name, source, options, load.append);
    load.onAppend(result);
    return result.inserted;
  }
  const metadataOf = { ...load.create, type: load.kind };
  return load.kind === 'events'
    ? createTable(writeCtx, EVENTS, name, source, metadataOf, options)
    : createTable(writeCtx, PROFILES, name, source, metadataOf, options);
}

/** A metadata store that writes one given `_metadata` row verbatim. */
class VerbatimMetadataStore extends MetadataStore {
  readonly #stored: StoredTableMetadata;
  readonly #sql: SqlDialect;

  constructor(dialect: SqlDialect, stored: StoredTableMetadata) {
    super(dialect);
    this.#sql = dialect;
    this.#stored = stored;
  }

  override async write(session: Session, table: string, _metadata: TableMetadata, _rowCount: number) {
    const s = this.#stored;
    const q = this.#sql.quoteIdentifier(METADATA_TABLE);
    const p = (i: number) => this.#sql.placeholder(i);
    await session.run(`DELETE FROM ${q} WHERE table_name = ${p(1)}`, [table]);
    const placeholders = METADATA_COLUMNS.map((_, i) => p(i + 1)).join(', ');
    await session.run(`INSERT INTO ${q} VALUES (${placeholders})`, [
      table,
      s.type,
      s.fetchedAt,
      s.fromDate,
      s.toDate,
      s.rowCount,
      s.filters ? stringifyJson(s.filters) : null,
      s.source,
      s.packageVersion,
      s.createdAt,
      s.updatedAt,
    ]);
  }
}

function checkColumns(columns: unknown): ColumnDef[] {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new InvalidArgumentError('loadTable needs at least one column.', {
      details: { option: 'columns' },
    });
  }
  const seen = new Set<string>();
  return columns.map((c: TableColumn) => {
    if (typeof c?.name !== 'string' || c.name === '' || seen.has(c.name) || !COLUMN_TYPES.includes(c.type)) {
      throw new InvalidArgumentError(
        `Invalid column ${JSON.stringify(c?.name)}: each needs a unique name and one of ${COLUMN_TYPES.join(', ')}.`,
        { details: { option: 'columns' } },
      );
    }
    seen.add(c.name);
    return { name: c.name, type: c.type };
  });
}

/** Loads a table (see {@link TableLoad}); resolves to the rows stored. */
export async function loadTable(
  ctx: WriteContext,
  name: string,
  load: TableLoad | NativeLoad,
  options: CreateTableOptions = {},
): Promise<number> {
  if (load?.type === 'native') return loadNative(ctx, name, load, options);
  const metadata = load.metadata ?? null;
  const store = metadata ? new VerbatimMetadataStore(ctx.connection.dialect, metadata) : ctx.metadata;
  const writeCtx: WriteContext = { connection: ctx.connection, metadata: store };
  switch (load?.type) {
    case 'events':
      return createTable(writeCtx, EVENTS, name, load.records, { type: 'events' }, options);
    case 'profiles':
      return createTable(writeCtx, PROFILES, name, load.records, { type: 'profiles' }, options);
    case 'other':
      return loadOtherTable(
        writeCtx,
        name,
        checkColumns(load.columns),
        load.rows,
        metadata !== null,
        options,
      );
    default:
      throw new InvalidArgumentError("loadTable needs type 'events', 'profiles' or 'other'.", {
        details: { option: 'type' },
      });
  }
}

async function loadOtherTable(
  ctx: WriteContext,
  name: string,
  columns: readonly ColumnDef[],
  rows: RecordSource<readonly unknown[]>,
  withMetadata: boolean,
  options: CreateTableOptions,
): Promise<number> {
  const { dialect } = ctx.connection;
  const q = (n: string) => dialect.quoteIdentifier(n);
  const tables = await ctx.connection.listTables();
  const exists = tables.includes(name);
  if (exists && !options.replace) throw new TableExistsError(name);
  return ctx.connection.transaction(async (session) => {
    if (withMetadata) await ctx.metadata.ensure(session, tables);
    const staging = internalTableName('load');
    await session.run(createTableSql(dialect, staging, columns));
    const counter: BatchCounter = { read: 0 };
    const toRow = (row: readonly unknown[]) => columns.map((c, i) => toWriteValue(row[i], c.type));
    const written = await session.appendRows(staging, columns, recordBatches(rows, toRow, counter, options), {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (exists) await session.run(`DROP TABLE ${q(name)}`);
    await session.run(`ALTER TABLE ${q(staging)} RENAME TO ${q(name)}`);
    if (withMetadata) await ctx.metadata.write(session, name, { type: 'events' }, written);
    else if (tables.includes(METADATA_TABLE)) await ctx.metadata.remove(session, name);
    return written;
  });
}

/** Writes one `_metadata` row verbatim, in its own transaction (migration's repair of a stale row). */
export async function restoreMetadataRow(
  ctx: WriteContext,
  name: string,
  metadata: StoredTableMetadata,
): Promise<void> {
  const tables = await ctx.connection.listTables();
  const store = new VerbatimMetadataStore(ctx.connection.dialect, metadata);
  await ctx.connection.transaction(async (session) => {
    await store.ensure(session, tables);
    await store.write(session, name, { type: metadata.type }, metadata.rowCount);
  });
}
