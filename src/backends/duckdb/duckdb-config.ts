import { availableParallelism } from 'node:os';
import type { SettingValue } from '../../backend/backend.js';
import { ConfigError } from '../../errors.js';

/** DuckDB settings this backend applies, keyed as in `[database.duckdb]`. */
export interface DuckDbSettings {
  /** e.g. `4GB`; DuckDB's default is 80% of RAM. */
  readonly memory_limit?: string;
  /** memory_limit while a write transaction runs, when memory_limit is not set. */
  readonly bulk_memory_limit?: string;
  /** threads while a write transaction runs, when threads is not set. */
  readonly write_threads?: number;
  readonly threads?: number;
  readonly temp_directory?: string;
}

const SIZE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * Validates the settings and turns them into DuckDB instance options. They go to the driver as a
 * configuration map (never spliced into SQL), and are read back with `current_setting()`.
 */
export function duckdbInstanceOptions(
  settings: Readonly<Record<string, SettingValue>>,
): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [key, { value }] of Object.entries(settings)) {
    switch (key) {
      case 'memory_limit':
        if (typeof value !== 'string' || !SIZE.test(value)) {
          throw new ConfigError(
            `database.duckdb.memory_limit must be a size such as '512MB' or '4GB' (got ${JSON.stringify(value)}).`,
            { details: { key: 'database.duckdb.memory_limit' } },
          );
        }
        options.memory_limit = value;
        break;
      case 'bulk_memory_limit':
        // Not an instance option: the connection applies it around each write transaction.
        if (typeof value !== 'string' || !SIZE.test(value)) {
          throw new ConfigError(
            `database.duckdb.bulk_memory_limit must be a size such as '512MB' (got ${JSON.stringify(value)}).`,
            { details: { key: 'database.duckdb.bulk_memory_limit' } },
          );
        }
        break;
      case 'write_threads':
        // Like bulk_memory_limit, applied around each write transaction.
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
          throw new ConfigError('database.duckdb.write_threads must be a whole number of at least 1.', {
            details: { key: 'database.duckdb.write_threads' },
          });
        }
        break;
      case 'threads':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
          throw new ConfigError('database.duckdb.threads must be a whole number of at least 1.', {
            details: { key: 'database.duckdb.threads' },
          });
        }
        options.threads = String(value);
        break;
      case 'temp_directory':
        if (typeof value !== 'string' || value.length === 0) {
          throw new ConfigError('database.duckdb.temp_directory must be a directory path.', {
            details: { key: 'database.duckdb.temp_directory' },
          });
        }
        options.temp_directory = value;
        break;
      default:
        throw new ConfigError(`Unknown DuckDB setting 'database.duckdb.${key}'.`, {
          details: { key: `database.duckdb.${key}` },
        });
    }
  }
  return options;
}

/** The settings `settings()` reads back, in order, with the DuckDB name of each. */
export const DUCKDB_SETTING_NAMES: readonly (keyof DuckDbSettings)[] = [
  'memory_limit',
  'threads',
  'temp_directory',
];

/** Default of `bulk_memory_limit` (see config-keys.ts; measured in docs/benchmarks.md). */
export const DEFAULT_BULK_MEMORY_LIMIT = '256MB';

/**
 * The least `bulk_memory_limit` applied. DuckDB's Parquet writer and reader need room for whole row
 * groups: with 128MB and 64MB the export of a 1M-event table failed with an out-of-memory error, and
 * so did re-importing it (docs/benchmarks.md), while lower values bought no measurable memory.
 */
export const MIN_BULK_MEMORY_LIMIT = '256MB';

/** memory_limit while the spool loads JavaScript records, when no limit is configured (MiB). */
export const SPOOL_MEMORY_LIMIT_MIB = 128;

/**
 * The memory limit for a spool load (JavaScript records into DuckDB through `read_csv`) needing at
 * least `minimumBytes`, or undefined to keep the limit in force. Without a configured memory_limit
 * or bulk_memory_limit, loads run at {@link SPOOL_MEMORY_LIMIT_MIB}: they need far less than the
 * Parquet reader and writer the bulk limit is sized for, and DuckDB's block cache then fills
 * before the first million rows instead of growing up to the bulk limit (5M events: peak RSS 553–581
 * → ~440 MB at the same speed; docs/benchmarks.md). A configured limit is the user's choice and
 * stays.
 */
export function spoolMemoryLimit(
  settings: Readonly<Record<string, SettingValue>>,
  minimumBytes: number,
): string | undefined {
  if (settings.memory_limit !== undefined || settings.bulk_memory_limit !== undefined) return undefined;
  return `${Math.max(SPOOL_MEMORY_LIMIT_MIB, Math.ceil(minimumBytes / 2 ** 20))}MiB`;
}

/**
 * The memory limit to hold during bulk work (write transactions, exports): the configured
 * `bulk_memory_limit`, raised to {@link MIN_BULK_MEMORY_LIMIT}, or undefined when the user set
 * `memory_limit` (their limit then applies to bulk work too).
 */
export function bulkMemoryLimit(settings: Readonly<Record<string, SettingValue>>): string | undefined {
  if (settings.memory_limit !== undefined) return undefined;
  const configured = settings.bulk_memory_limit?.value;
  const limit = typeof configured === 'string' ? configured : DEFAULT_BULK_MEMORY_LIMIT;
  return sizeInBytes(limit) < sizeInBytes(MIN_BULK_MEMORY_LIMIT) ? MIN_BULK_MEMORY_LIMIT : limit;
}

/** The memory_limit bulk work runs under: the bulk limit, else the configured memory_limit. */
export function memoryLimitInForce(settings: Readonly<Record<string, SettingValue>>): string | undefined {
  const configured = settings.memory_limit?.value;
  return bulkMemoryLimit(settings) ?? (typeof configured === 'string' ? configured : undefined);
}

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Bytes of a validated size (DuckDB's reading: KB = 1000 bytes, KiB = 1024). */
function sizeInBytes(size: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(size.trim());
  return match ? Number(match[1]) * (UNIT_BYTES[match[2]!.toLowerCase()] ?? Number.NaN) : Number.NaN;
}

/**
 * DuckDB worker threads to hold during write transactions, or undefined when the user set `threads`.
 * Default: one per core but one. During a write the JavaScript thread is busy too (encoding rows,
 * downloading and spooling a fetch), and DuckDB inserting with a thread per core competes with it:
 * on 2 cores a fetch measured 2–4× the CPU and a slower wall time with 2 threads than with 1
 * (docs/benchmarks.md).
 */
export function writeThreads(settings: Readonly<Record<string, SettingValue>>): number | undefined {
  if (settings.threads !== undefined) return undefined;
  const configured = settings.write_threads?.value;
  return typeof configured === 'number' ? configured : Math.max(1, availableParallelism() - 1);
}
