import type { CatalogColumn } from '../../backend/backend.js';
import { postgresTypeLabel } from './postgres-dialect.js';

/** Runs one catalog query; the connection supplies it so these functions stay driver-free. */
export type CatalogQuery = (sql: string, params: readonly unknown[]) => Promise<unknown[][]>;

/** Relation kinds that hold rows: ordinary, partitioned and materialized tables. */
const TABLE_KINDS = `c.relkind IN ('r', 'p', 'm')`;

/** Tables of `schema`, internal `_` tables included, by name. */
export async function listPostgresTables(query: CatalogQuery, schema: string): Promise<string[]> {
  const rows = await query(
    `SELECT c.relname FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
      ORDER BY c.relname COLLATE "C"`,
    [schema],
  );
  return rows.map((row) => String(row[0]));
}

/**
 * Columns of `schema.table` in order, or `null` when there is no such table. Names are matched
 * exactly (no case folding, no parsing), so hostile names are just strings.
 */
export async function describePostgresTable(
  query: CatalogQuery,
  schema: string,
  table: string,
): Promise<CatalogColumn[] | null> {
  const rows = await query(
    `SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
            EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                     WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey))
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = $2 AND ${TABLE_KINDS}
      ORDER BY a.attnum`,
    [schema, table],
  );
  if (rows.length === 0) return null;
  return rows.map((row) => ({
    name: String(row[0]),
    type: postgresTypeLabel(String(row[1])),
    nullable: row[2] === true,
    primaryKey: row[3] === true,
  }));
}

/** True when `schema` exists in the current database. */
export async function schemaExists(query: CatalogQuery, schema: string): Promise<boolean> {
  const rows = await query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
  return rows.length > 0;
}

/** Bytes on disk per table (heap + indexes + TOAST, `pg_total_relation_size`), by name; absent tables are left out. */
export async function postgresTableBytes(
  query: CatalogQuery,
  schema: string,
  tables: readonly string[],
): Promise<Map<string, number>> {
  const rows = await query(
    `SELECT c.relname, pg_catalog.pg_total_relation_size(c.oid)
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY ($2::text[]) AND ${TABLE_KINDS}`,
    [schema, tables],
  );
  return new Map(rows.map((row) => [String(row[0]), Number(row[1])]));
}

/** Bytes on disk of every table in `schema` together (what a workspace costs on the server). */
export async function postgresSchemaBytes(query: CatalogQuery, schema: string): Promise<number> {
  const rows = await query(
    `SELECT coalesce(sum(pg_catalog.pg_total_relation_size(c.oid)), 0)::bigint
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND ${TABLE_KINDS}`,
    [schema],
  );
  return Number(rows[0]?.[0] ?? 0);
}

/** Type names for result columns, by type OID: `format_type` spelled as {@link postgresTypeLabel} does. */
export async function postgresTypeNames(
  query: CatalogQuery,
  oids: readonly number[],
): Promise<Map<number, string>> {
  const rows = await query(
    'SELECT t.oid::int8, pg_catalog.format_type(t.oid, NULL) FROM pg_catalog.pg_type t WHERE t.oid = ANY ($1::oid[])',
    [oids],
  );
  return new Map(rows.map((row) => [Number(row[0]), postgresTypeLabel(String(row[1]))]));
}

/** A leftover ephemeral schema: its name, the PID in its name, and the host in its comment (if any). */
export interface EphemeralSchema {
  readonly name: string;
  readonly pid: number;
  readonly host: string | undefined;
}

/** Schemas named `mp_ephemeral_<pid>_…`, with the `host=` recorded in their comment. */
export async function listEphemeralSchemas(query: CatalogQuery): Promise<EphemeralSchema[]> {
  const rows = await query(
    `SELECT n.nspname, pg_catalog.obj_description(n.oid, 'pg_namespace')
       FROM pg_catalog.pg_namespace n
      WHERE n.nspname LIKE 'mp\\_ephemeral\\_%'`,
    [],
  );
  const out: EphemeralSchema[] = [];
  for (const [name, comment] of rows) {
    const pid = /^mp_ephemeral_(\d+)_/.exec(String(name))?.[1];
    if (pid === undefined) continue;
    const host = typeof comment === 'string' ? /(?:^|;\s*)host=([^;]*)/.exec(comment)?.[1] : undefined;
    out.push({ name: String(name), pid: Number(pid), host });
  }
  return out;
}
