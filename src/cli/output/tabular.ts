/** Column names and rows in column order: what every output format writes. */
export interface Tabular {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/**
 * Turns a command's result into rows. An array of objects becomes one row per object (columns in
 * order of first appearance); an array of scalars one `value` column; a single object one row.
 */
export function toTabular(data: unknown): Tabular {
  if (Array.isArray(data)) {
    if (data.every(isRecord)) return recordsToTabular(data);
    return { columns: ['value'], rows: data.map((v) => [v]) };
  }
  if (isRecord(data)) return recordsToTabular([data]);
  return { columns: ['value'], rows: [[data]] };
}

/** Rows from plain objects; a key missing from one object is an empty cell. */
export function recordsToTabular(records: readonly Record<string, unknown>[]): Tabular {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    for (const key of Object.keys(record)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return { columns, rows: records.map((r) => columns.map((c) => r[c])) };
}

/** A plain object (not an array, Date, Map or other class instance). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
