import type { DuckDBConnection } from '@duckdb/node-api';
import type { CatalogColumn } from '../../backend/backend.js';

/** Tables of the connection's current schema, internal `_` tables included. */
export async function listDuckDbTables(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    'SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ' +
      'AND schema_name = current_schema() AND NOT temporary ORDER BY table_name',
  );
  return reader.getRowsJS().map((row) => String(row[0]));
}

/** Columns of `table` from DuckDB's catalog, or `null` when there is no such table. */
export async function describeDuckDbTable(
  connection: DuckDBConnection,
  table: string,
): Promise<CatalogColumn[] | null> {
  const reader = await connection.runAndReadAll(
    `SELECT c.column_name, c.data_type, c.is_nullable,
            coalesce(list_contains(k.constraint_column_names, c.column_name), false) AS pk
       FROM duckdb_columns() c
       LEFT JOIN duckdb_constraints() k
         ON k.table_oid = c.table_oid AND k.constraint_type = 'PRIMARY KEY'
      WHERE c.database_name = current_database() AND c.schema_name = current_schema()
        AND c.table_name = $1
      ORDER BY c.column_index`,
    [table],
  );
  const rows = reader.getRowsJS();
  if (rows.length === 0) return null;
  return rows.map((row) => ({
    name: String(row[0]),
    type: String(row[1]),
    nullable: row[2] === true,
    primaryKey: row[3] === true,
  }));
}

/** On-disk bytes per table, estimated from the blocks its columns occupy (null in memory). */
export async function duckDbTableBytes(connection: DuckDBConnection, table: string): Promise<number | null> {
  const reader = await connection.runAndReadAll(
    `SELECT count(DISTINCT block_id) * (SELECT block_size FROM pragma_database_size() WHERE database_name = current_database())
       FROM pragma_storage_info($1) WHERE persistent`,
    [table],
  );
  const value = reader.getRowsJS()[0]?.[0];
  return value === null || value === undefined ? null : Number(value);
}
