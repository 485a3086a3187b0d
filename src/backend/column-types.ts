/**
 * The portable column types the engine creates. Each backend's dialect maps them to its own type
 * names; user queries may of course return any type the engine supports.
 */
export type ColumnType = 'string' | 'timestamp' | 'json' | 'int64' | 'float64' | 'boolean' | 'date';

/** Every {@link ColumnType}, for validating types read from files (sidecars, table loads). */
export const COLUMN_TYPES: readonly ColumnType[] = Object.freeze([
  'string',
  'timestamp',
  'json',
  'int64',
  'float64',
  'boolean',
  'date',
]);

/** One column of a table the engine creates. */
export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  /** Adds NOT NULL. Default false. */
  readonly notNull?: boolean;
  /** Makes this column the table's primary key. Default false. */
  readonly primaryKey?: boolean;
}

/**
 * A value the engine hands to a backend for writing. JSON columns arrive already serialised (and
 * validated) as text; timestamps as `Date`; int64 as `bigint` or a safe-integer `number`.
 */
export type WriteValue = string | number | bigint | boolean | Date | null;
