import type { ColumnType } from '../../backend/column-types.js';
import { type ColumnFamily, quoteIdentifierStandard, type SqlDialect } from '../../backend/sql-dialect.js';

const TYPE_NAMES: Readonly<Record<ColumnType, string>> = Object.freeze({
  string: 'TEXT',
  // WITHOUT time zone, holding UTC wall-clock time: the writer sends UTC and every session runs with
  // TimeZone=UTC, so casts to and from timestamptz agree with the values.
  timestamp: 'TIMESTAMP',
  json: 'JSONB',
  int64: 'BIGINT',
  float64: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  date: 'DATE',
});

/** PostgreSQL spelling: standard quoting, `$n` placeholders, JSONB with `->>`. */
export const postgresDialect: SqlDialect = Object.freeze({
  quoteIdentifier: quoteIdentifierStandard,
  placeholder: (index: number) => `$${index}`,
  typeName: (type: ColumnType) => TYPE_NAMES[type],
  nullSafeEquals: (left: string, right: string) => `(${left} IS NOT DISTINCT FROM ${right})`,
  // The key is cast so `->>` resolves to the text-key operator even when the parameter's type is unknown.
  jsonExtractText: (column: string, keyPlaceholder: string) => `(${column} ->> ${keyPlaceholder}::text)`,
  // `->>` with a text key is always a literal key on PostgreSQL; the object check keeps `->>` on an
  // array document from failing or indexing.
  jsonMemberText: (column: string, keyPlaceholder: string) =>
    `(CASE WHEN jsonb_typeof(${column}) = 'object' THEN ${column} ->> ${keyPlaceholder}::text END)`,
  // Set-returning functions in FROM are implicitly LATERAL. jsonb_each raises on a non-object, hence
  // the CASE (jsonb_each(NULL) yields no rows); jsonb_typeof already uses the portable names.
  jsonObjectMembers: (column: string, alias: string) => ({
    from: `jsonb_each(CASE WHEN jsonb_typeof(${column}) = 'object' THEN ${column} END) AS ${alias}`,
    key: `${alias}.key`,
    valueType: `jsonb_typeof(${alias}.value)`,
  }),
  // Every session runs with TimeZone=UTC, so TIMESTAMPTZ renders in UTC too.
  timestampText: (expression: string) => `to_char(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  // The database's default collation may be a locale (en_US sorts 'a' before 'B'); "C" is byte order.
  binaryCollation: (expression: string) => `(${expression} COLLATE "C")`,
  columnFamily: (catalogType: string) => postgresColumnFamily(catalogType),
});

/** PostgreSQL type labels (as `postgresTypeLabel` writes them) → family; arrays are `other`. */
function postgresColumnFamily(catalogType: string): ColumnFamily {
  const type = catalogType.trim().toUpperCase();
  if (/^(SMALLINT|INTEGER|BIGINT|REAL|DOUBLE PRECISION|NUMERIC(\(\d+(,\d+)?\))?)$/.test(type))
    return 'number';
  if (/^(TEXT|NAME|(VARCHAR|CHAR)(\(\d+\))?)$/.test(type)) return 'text';
  if (type === 'BOOLEAN') return 'boolean';
  if (/^TIMESTAMP(TZ)?(\(\d\))?$/.test(type)) return 'timestamp';
  if (type === 'DATE') return 'date';
  if (type === 'JSON' || type === 'JSONB') return 'json';
  return 'other';
}

/** `format_type()` spellings → the names the dialect writes, so catalog and result types read alike. */
const LABELS: Readonly<Record<string, string>> = Object.freeze({
  text: 'TEXT',
  'timestamp without time zone': 'TIMESTAMP',
  'timestamp with time zone': 'TIMESTAMPTZ',
  jsonb: 'JSONB',
  json: 'JSON',
  bigint: 'BIGINT',
  'double precision': 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  date: 'DATE',
  integer: 'INTEGER',
  smallint: 'SMALLINT',
  real: 'REAL',
  numeric: 'NUMERIC',
  'character varying': 'VARCHAR',
  character: 'CHAR',
  bytea: 'BYTEA',
  uuid: 'UUID',
  interval: 'INTERVAL',
  'time without time zone': 'TIME',
  'time with time zone': 'TIMETZ',
  name: 'NAME',
  oid: 'OID',
});

/**
 * A readable type name from PostgreSQL's `format_type()` output: built-in types in the dialect's
 * upper-case spelling (typmods and array brackets kept: `VARCHAR(20)`, `BIGINT[]`), anything else
 * (user-defined types, domains) exactly as the server spells it.
 */
export function postgresTypeLabel(formatted: string): string {
  const match = /^([a-z ]+?)(\(\d+(?:,\d+)?\))?( with(?:out)? time zone)?((?:\[\])*)$/.exec(formatted);
  if (!match) return formatted;
  const [, base = '', typmod = '', zone = '', brackets = ''] = match;
  const label = LABELS[base + zone];
  return label === undefined ? formatted : `${label}${typmod}${brackets}`;
}

/** Result-column type names for the built-in type OIDs (others are looked up once in pg_type). */
export const POSTGRES_BUILTIN_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'BOOLEAN'],
  [17, 'BYTEA'],
  [19, 'NAME'],
  [20, 'BIGINT'],
  [21, 'SMALLINT'],
  [23, 'INTEGER'],
  [25, 'TEXT'],
  [26, 'OID'],
  [114, 'JSON'],
  [700, 'REAL'],
  [701, 'DOUBLE PRECISION'],
  [1042, 'CHAR'],
  [1043, 'VARCHAR'],
  [1082, 'DATE'],
  [1083, 'TIME'],
  [1114, 'TIMESTAMP'],
  [1184, 'TIMESTAMPTZ'],
  [1186, 'INTERVAL'],
  [1266, 'TIMETZ'],
  [1700, 'NUMERIC'],
  [2950, 'UUID'],
  [3802, 'JSONB'],
  [1000, 'BOOLEAN[]'],
  [1007, 'INTEGER[]'],
  [1009, 'TEXT[]'],
  [1016, 'BIGINT[]'],
  [1022, 'DOUBLE PRECISION[]'],
  [1115, 'TIMESTAMP[]'],
  [3807, 'JSONB[]'],
]);
