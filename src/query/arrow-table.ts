import {
  Bool,
  type DataType,
  Float64,
  Int64,
  Table,
  TimestampMillisecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import type { ResultSet } from '../backend/result-set.js';
import { stringifyJson } from '../values/json-text.js';

/**
 * Builds an Apache Arrow table (the columnar DataFrame equivalent) from a result set. This is the
 * only file importing apache-arrow. Types come from the values, with the engine's type name
 * deciding integer columns, so a BIGINT column is Int64 even when every value is small.
 */
export function toArrowTable(result: ResultSet): Table {
  const vectors: Record<string, Vector> = {};
  result.columns.forEach((column, index) => {
    const values = result.rows.map((row) => row[index]);
    const { type, convert } = arrowTypeFor(column.type, values);
    vectors[column.name] = vectorFromArray(values.map(convert), type) as Vector;
  });
  return new Table(vectors);
}

interface ArrowColumn {
  readonly type: DataType;
  readonly convert: (value: unknown) => unknown;
}

const nullable =
  (f: (value: unknown) => unknown) =>
  (value: unknown): unknown =>
    value === null || value === undefined ? null : f(value);

function arrowTypeFor(engineType: string, values: readonly unknown[]): ArrowColumn {
  const sample = values.find((v) => v !== null && v !== undefined);
  const integerColumn = /INT|SERIAL/i.test(engineType);
  if (typeof sample === 'bigint' || (integerColumn && (sample === undefined || typeof sample === 'number'))) {
    if (values.every((v) => v === null || v === undefined || typeof v === 'bigint' || Number.isInteger(v))) {
      return { type: new Int64(), convert: nullable((v) => BigInt(v as number | bigint)) };
    }
  }
  if (typeof sample === 'number') return { type: new Float64(), convert: nullable((v) => Number(v)) };
  if (typeof sample === 'boolean') return { type: new Bool(), convert: nullable((v) => Boolean(v)) };
  if (sample instanceof Date) {
    return { type: new TimestampMillisecond(), convert: nullable((v) => (v as Date).getTime()) };
  }
  return {
    type: new Utf8(),
    convert: nullable((v) =>
      typeof v === 'string' ? v : typeof v === 'object' ? stringifyJson(v) : String(v),
    ),
  };
}
