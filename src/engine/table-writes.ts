import type { Session } from '../backend/backend.js';
import { TableExistsError, TableNotFoundError } from '../errors.js';
import type { NativeStagedSource } from './native-staged-source.js';
import type { RecordSource } from './record-batches.js';
import type {
  AppendResult,
  CreateTableOptions,
  EventRecord,
  IngestOptions,
  ProfileRecord,
  TableMetadata,
} from './records.js';
import { columnList, keyMatch } from './statements.js';
import {
  createEventsInPlace,
  createIndexIfNeeded,
  EVENTS,
  type Kind,
  type NativeSource,
  PROFILES,
  promoteStaging,
  type StagingTable,
  stage,
  type WriteContext,
  writesInPlace,
} from './table-loading.js';
import { EVENT_COLUMNS, EVENT_KEY, METADATA_TABLE, PROFILE_COLUMNS } from './table-schemas.js';

/**
 * The write paths. Every one runs inside ONE transaction: records stream through the native bulk
 * path into a staging table, duplicates are resolved in SQL, the result lands in the target and
 * `_metadata` is updated, then COMMIT. A bad record, an abort, an error or a killed process before
 * COMMIT leaves the database exactly as it was: no half table, no orphan metadata row.
 */

/** Creates (or atomically replaces) a table from `source`; resolves to the number of rows stored. */
export async function createTable<R>(
  ctx: WriteContext,
  kind: Kind<R>,
  name: string,
  source: RecordSource<R> | NativeSource,
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
  source: RecordSource<EventRecord> | NativeSource,
  options: IngestOptions,
  extra: AppendMetadata = {},
): Promise<AppendResult> {
  await assertAppendable(ctx, EVENTS as Kind<unknown>, name);
  const { dialect } = ctx.connection;
  const q = (n: string) => dialect.quoteIdentifier(n);
  return ctx.connection.transaction(async (session) => {
    const {
      staging: { name: staging, borrowed },
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
    if (!borrowed) await session.run(`DROP TABLE ${q(staging)}`);
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
