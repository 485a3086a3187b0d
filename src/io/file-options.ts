import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FileCompression, FileFormat } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';

export type { FileCompression, FileFormat } from '../backend/backend.js';

/** The file formats, and the compressions each takes. */
export const FILE_FORMATS: readonly FileFormat[] = ['parquet', 'csv', 'jsonl'];
const COMPRESSIONS: Readonly<Record<FileFormat, readonly FileCompression[]>> = {
  parquet: ['zstd', 'snappy', 'gzip', 'none'],
  csv: ['gzip', 'none'],
  jsonl: ['gzip', 'none'],
};

/** The format a file name implies: `.parquet`, `.csv`, `.jsonl`/`.ndjson`/`.json`, each optionally `.gz`. */
export function formatFromPath(path: string): FileFormat | null {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.json')) return 'jsonl';
  return null;
}

/** The explicit format, else the one the path implies; InvalidArgumentError naming `format` otherwise. */
export function resolveFormat(format: unknown, path: string): FileFormat {
  if (format !== undefined) {
    if (!FILE_FORMATS.includes(format as FileFormat)) {
      throw new InvalidArgumentError(
        `Invalid format ${JSON.stringify(format)}: use one of ${FILE_FORMATS.join(', ')}.`,
        { details: { option: 'format' } },
      );
    }
    return format as FileFormat;
  }
  const implied = formatFromPath(path);
  if (implied === null) {
    throw new InvalidArgumentError(
      `Cannot tell the format of ${path} from its name: pass format (${FILE_FORMATS.join(', ')}).`,
      { details: { option: 'format', path } },
    );
  }
  return implied;
}

/** The explicit compression, else Parquet's zstd, else gzip for `*.gz` names and none otherwise. */
export function resolveCompression(compression: unknown, format: FileFormat, path: string): FileCompression {
  const allowed = COMPRESSIONS[format];
  if (compression === undefined) {
    if (format === 'parquet') return 'zstd';
    return path.toLowerCase().endsWith('.gz') ? 'gzip' : 'none';
  }
  if (!allowed.includes(compression as FileCompression)) {
    throw new InvalidArgumentError(
      `Invalid compression ${JSON.stringify(compression)} for ${format}: use one of ${allowed.join(', ')}.`,
      { details: { option: 'compression' } },
    );
  }
  return compression as FileCompression;
}

/** A required, non-empty path option as an absolute path. */
export function resolvePathOption(path: unknown, option = 'path'): string {
  if (typeof path !== 'string' || path.trim() === '' || path.includes('\0')) {
    throw new InvalidArgumentError(`${option} must be a file path (got ${JSON.stringify(path)}).`, {
      details: { option },
    });
  }
  return resolve(path);
}

/** Refuses to replace an existing output file unless `overwrite`. */
export function assertWritable(path: string, overwrite: boolean | undefined): void {
  if (!overwrite && existsSync(path)) {
    throw new InvalidArgumentError(`${path} already exists; pass overwrite: true to replace it.`, {
      details: { option: 'overwrite', path },
    });
  }
}

/** A positive whole number option (batch sizes). */
export function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${option} must be a positive whole number (got ${String(value)}).`, {
      details: { option },
    });
  }
  return value;
}
