/**
 * The catalogue of every `[database]` key in `~/.mp/config.toml`. Loading, validation, env-var
 * lookup, `mp config show` and the docs are all driven from this one table, so a key added here
 * is recognised everywhere and a key missing here is rejected everywhere.
 *
 * Environment variable naming rule (each descriptor spells its name out so it can be grepped, and
 * a unit test checks the rule holds):
 * - `database.default_backend`    -> `MP_BACKEND`
 * - `database.duckdb.<key>`       -> `MP_DUCKDB_<KEY>`   e.g. `MP_DUCKDB_MEMORY_LIMIT`
 * - `database.sqlite.<key>`       -> `MP_SQLITE_<KEY>`   e.g. `MP_SQLITE_JOURNAL_MODE`
 * - `database.postgresql.<key>`   -> `MP_PG_<KEY>`       e.g. `MP_PG_PASSWORD`, `MP_PG_URL`
 * where `<KEY>` is the last segment upper-cased. An empty environment variable counts as unset.
 */

/** Storage backends a workspace can use. */
export type Backend = 'duckdb' | 'sqlite' | 'postgres';

/** Every backend name, in display order. */
export const BACKENDS: readonly Backend[] = ['duckdb', 'sqlite', 'postgres'];

/** Where a configuration value came from, lowest precedence first. */
export type ConfigSource = 'default' | 'file' | 'env' | 'option';

/** The component that acts on a key, shown by `mp config show` so users know what a change affects. */
export type AppliedBy = 'engine' | 'duckdb backend' | 'sqlite backend' | 'postgres backend';

/** A validated configuration value. */
export type ConfigValue = string | number | boolean;

/** Value types a key can have. `size` is a byte size with a unit, such as `4GB`. */
export type ConfigValueType = 'string' | 'integer' | 'boolean' | 'enum' | 'size';

/** Describes one configuration key. */
export interface ConfigKeyDescriptor {
  /** Dotted key as written in TOML, e.g. `database.duckdb.memory_limit`. */
  readonly key: string;
  /** Value type. */
  readonly type: ConfigValueType;
  /** Allowed values for `enum` keys (lower case; input is matched case-insensitively). */
  readonly values?: readonly string[];
  /** Alternative spellings accepted for `enum` keys, mapped to the canonical value. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Inclusive lower bound for `integer` keys. */
  readonly min?: number;
  /** Inclusive upper bound for `integer` keys. */
  readonly max?: number;
  /** Extra syntax check for `string` keys. */
  readonly format?: 'path' | 'postgres-url';
  /** Value when nothing sets the key; `undefined` leaves the decision to the component. */
  readonly default: ConfigValue | undefined;
  /** Environment variable that sets the key (see the naming rule above). */
  readonly env: string;
  /** Secrets are masked in `mp config show`, `toJSON()` and error messages. */
  readonly secret: boolean;
  /** The component that applies the key. */
  readonly appliedBy: AppliedBy;
  /** One-line help text. */
  readonly description: string;
}

/** Every known key. Order is the display order of `mp config show`. */
export const CONFIG_KEYS = [
  {
    key: 'database.default_backend',
    type: 'enum',
    values: ['duckdb', 'sqlite', 'postgres'],
    // `postgresql` is what the section is called, so people naturally type it here too.
    aliases: { postgresql: 'postgres' },
    default: 'duckdb',
    env: 'MP_BACKEND',
    secret: false,
    appliedBy: 'engine',
    description: 'Storage backend used for new and opened workspaces.',
  },
  {
    key: 'database.duckdb.memory_limit',
    type: 'size',
    default: undefined,
    env: 'MP_DUCKDB_MEMORY_LIMIT',
    secret: false,
    appliedBy: 'duckdb backend',
    description: "Maximum memory DuckDB may use, e.g. '4GB'. Unset: DuckDB's own default (80% of RAM).",
  },
  {
    key: 'database.duckdb.bulk_memory_limit',
    type: 'size',
    default: '256MB',
    env: 'MP_DUCKDB_BULK_MEMORY_LIMIT',
    secret: false,
    appliedBy: 'duckdb backend',
    description:
      "memory_limit while bulk work runs (fetch, import, create, append, export), unless memory_limit is set: keeps DuckDB from caching every block it wrote or read, so memory stays flat however many rows move. Values below 256MB are raised to 256MB (DuckDB's Parquet writer and reader failed with less on 1M events; settings() shows the raise). While neither this key nor memory_limit is set, the loads of JavaScript records run at 128MiB (more only for very long rows), which keeps ingestion memory lower and flatter at the same speed.",
  },
  {
    key: 'database.duckdb.write_threads',
    type: 'integer',
    min: 1,
    default: undefined,
    env: 'MP_DUCKDB_WRITE_THREADS',
    secret: false,
    appliedBy: 'duckdb backend',
    description:
      'DuckDB threads while a write runs, unless threads is set. Unset: one per core but one, leaving a core to the JavaScript thread that feeds the write.',
  },
  {
    key: 'database.duckdb.threads',
    type: 'integer',
    min: 1,
    default: undefined,
    env: 'MP_DUCKDB_THREADS',
    secret: false,
    appliedBy: 'duckdb backend',
    description: 'Worker threads. Unset: one per CPU core.',
  },
  {
    key: 'database.duckdb.temp_directory',
    type: 'string',
    format: 'path',
    default: undefined,
    env: 'MP_DUCKDB_TEMP_DIRECTORY',
    secret: false,
    appliedBy: 'duckdb backend',
    description: 'Directory for spill files when a query exceeds the memory limit.',
  },
  {
    key: 'database.sqlite.journal_mode',
    type: 'enum',
    values: ['wal', 'delete', 'truncate', 'persist', 'memory', 'off'],
    default: 'wal',
    env: 'MP_SQLITE_JOURNAL_MODE',
    secret: false,
    appliedBy: 'sqlite backend',
    description: 'PRAGMA journal_mode. WAL lets readers run while a fetch writes.',
  },
  {
    key: 'database.sqlite.synchronous',
    type: 'enum',
    values: ['off', 'normal', 'full', 'extra'],
    default: 'normal',
    env: 'MP_SQLITE_SYNCHRONOUS',
    secret: false,
    appliedBy: 'sqlite backend',
    description: 'PRAGMA synchronous.',
  },
  {
    key: 'database.sqlite.cache_size',
    type: 'integer',
    default: -64000,
    env: 'MP_SQLITE_CACHE_SIZE',
    secret: false,
    appliedBy: 'sqlite backend',
    description: 'PRAGMA cache_size: pages if positive, KiB if negative (-64000 = 64 MB).',
  },
  {
    key: 'database.sqlite.temp_store',
    type: 'enum',
    values: ['default', 'file', 'memory'],
    default: 'memory',
    env: 'MP_SQLITE_TEMP_STORE',
    secret: false,
    appliedBy: 'sqlite backend',
    description: 'PRAGMA temp_store.',
  },
  {
    key: 'database.sqlite.mmap_size',
    type: 'integer',
    min: 0,
    default: 268435456,
    env: 'MP_SQLITE_MMAP_SIZE',
    secret: false,
    appliedBy: 'sqlite backend',
    description: 'PRAGMA mmap_size in bytes (0 disables memory-mapped I/O).',
  },
  {
    key: 'database.postgresql.url',
    type: 'string',
    format: 'postgres-url',
    default: undefined,
    env: 'MP_PG_URL',
    secret: true,
    appliedBy: 'postgres backend',
    description: 'postgres:// connection string; supplies host, port, user, password and database.',
  },
  {
    key: 'database.postgresql.host',
    type: 'string',
    default: '127.0.0.1',
    env: 'MP_PG_HOST',
    secret: false,
    appliedBy: 'postgres backend',
    description: 'Server host name, IP address or Unix socket directory.',
  },
  {
    key: 'database.postgresql.port',
    type: 'integer',
    min: 1,
    max: 65535,
    default: 5432,
    env: 'MP_PG_PORT',
    secret: false,
    appliedBy: 'postgres backend',
    description: 'Server port.',
  },
  {
    key: 'database.postgresql.user',
    type: 'string',
    default: undefined,
    env: 'MP_PG_USER',
    secret: false,
    appliedBy: 'postgres backend',
    description: "Role to connect as. Unset: the driver's default (the OS user).",
  },
  {
    key: 'database.postgresql.password',
    type: 'string',
    default: undefined,
    env: 'MP_PG_PASSWORD',
    secret: true,
    appliedBy: 'postgres backend',
    description: 'Password for the role.',
  },
  {
    key: 'database.postgresql.database',
    type: 'string',
    default: 'mixpanel',
    env: 'MP_PG_DATABASE',
    secret: false,
    appliedBy: 'postgres backend',
    description: 'Database name.',
  },
  {
    key: 'database.postgresql.schema',
    type: 'string',
    default: 'public',
    env: 'MP_PG_SCHEMA',
    secret: false,
    appliedBy: 'postgres backend',
    description: 'Schema holding the workspace tables.',
  },
  {
    key: 'database.postgresql.sslmode',
    type: 'enum',
    values: ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'],
    default: 'prefer',
    env: 'MP_PG_SSLMODE',
    secret: false,
    appliedBy: 'postgres backend',
    description: 'TLS mode, as in libpq.',
  },
  {
    key: 'database.postgresql.pool_size',
    type: 'integer',
    min: 1,
    max: 100,
    default: 4,
    env: 'MP_PG_POOL_SIZE',
    secret: false,
    appliedBy: 'postgres backend',
    description: 'Maximum open connections.',
  },
  {
    key: 'database.postgresql.statement_timeout',
    type: 'integer',
    min: 0,
    default: 0,
    env: 'MP_PG_STATEMENT_TIMEOUT',
    secret: false,
    appliedBy: 'postgres backend',
    description: 'Per-statement timeout in milliseconds (0 = none).',
  },
] as const satisfies readonly ConfigKeyDescriptor[];

/** A known dotted configuration key. */
export type ConfigKey = (typeof CONFIG_KEYS)[number]['key'];

const BY_KEY: ReadonlyMap<string, ConfigKeyDescriptor> = new Map(
  CONFIG_KEYS.map((d): [string, ConfigKeyDescriptor] => [d.key, d]),
);

/** The descriptor for `key`, or `undefined` when the key is unknown. */
export function findConfigKey(key: string): ConfigKeyDescriptor | undefined {
  return BY_KEY.get(key);
}

/** True when `key` is a known configuration key. */
export function isConfigKey(key: string): key is ConfigKey {
  return BY_KEY.has(key);
}

const ENV_PREFIX_BY_SECTION: Readonly<Record<string, string>> = {
  duckdb: 'MP_DUCKDB_',
  sqlite: 'MP_SQLITE_',
  postgresql: 'MP_PG_',
};

/**
 * Applies the environment variable naming rule to a dotted key (see the module comment).
 * Returns `undefined` for keys outside `database.*`.
 */
export function envVarForKey(key: string): string | undefined {
  if (key === 'database.default_backend') return 'MP_BACKEND';
  const parts = key.split('.');
  if (parts.length !== 3 || parts[0] !== 'database') return undefined;
  const prefix = ENV_PREFIX_BY_SECTION[parts[1] ?? ''];
  return prefix === undefined ? undefined : `${prefix}${(parts[2] ?? '').toUpperCase()}`;
}

/** Human-readable description of what a key accepts, used in error messages. */
export function describeExpected(d: ConfigKeyDescriptor): string {
  switch (d.type) {
    case 'enum':
      return `one of ${(d.values ?? []).join(', ')}`;
    case 'integer':
      if (d.min !== undefined && d.max !== undefined) return `an integer from ${d.min} to ${d.max}`;
      if (d.min !== undefined) return `an integer >= ${d.min}`;
      if (d.max !== undefined) return `an integer <= ${d.max}`;
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'size':
      return "a size with a unit, such as '512MB', '4GB' or '1.5GiB'";
    case 'string':
      if (d.format === 'postgres-url') return 'a postgres:// or postgresql:// connection string';
      if (d.format === 'path') return 'a directory path';
      return 'a non-empty string';
  }
}

/** Result of {@link parseConfigValue}. `value: undefined` means "explicitly empty, treat as unset". */
export type ParsedConfigValue = { ok: true; value: ConfigValue | undefined } | { ok: false; problem: string };

const SIZE_RE = /^\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)$/i;
const INT_RE = /^[+-]?\d+$/;

/**
 * Validates and normalises one raw value for a key. Strings are accepted for every type because
 * environment variables and `${VAR}`-expanded file values are always strings; an empty string means
 * "not set here" so `${PG_USER:-}` can fall back to the default. The returned problem never
 * repeats the value: callers add it for non-secret keys only.
 */
export function parseConfigValue(d: ConfigKeyDescriptor, raw: unknown): ParsedConfigValue {
  const fail = (): ParsedConfigValue => ({ ok: false, problem: `expected ${describeExpected(d)}` });
  if (typeof raw === 'string' && (d.secret ? raw === '' : raw.trim() === ''))
    return { ok: true, value: undefined };
  switch (d.type) {
    case 'integer': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'bigint') return fail();
      else if (typeof raw === 'string' && INT_RE.test(raw.trim())) n = Number(raw.trim());
      else return fail();
      if (!Number.isSafeInteger(n)) return fail();
      if (d.min !== undefined && n < d.min) return fail();
      if (d.max !== undefined && n > d.max) return fail();
      return { ok: true, value: n };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (typeof raw !== 'string') return fail();
      const s = raw.trim().toLowerCase();
      if (s === 'true' || s === '1' || s === 'yes' || s === 'on') return { ok: true, value: true };
      if (s === 'false' || s === '0' || s === 'no' || s === 'off') return { ok: true, value: false };
      return fail();
    }
    case 'enum': {
      if (typeof raw !== 'string') return fail();
      const s = raw.trim().toLowerCase();
      const canonical = d.aliases?.[s] ?? s;
      return d.values?.includes(canonical) ? { ok: true, value: canonical } : fail();
    }
    case 'size': {
      if (typeof raw !== 'string' || !SIZE_RE.test(raw.trim())) return fail();
      return { ok: true, value: raw.trim() };
    }
    case 'string': {
      if (typeof raw !== 'string') return fail();
      if (d.format === 'postgres-url' && !/^postgres(ql)?:\/\//i.test(raw.trim())) return fail();
      return { ok: true, value: d.format === undefined && d.secret ? raw : raw.trim() };
    }
  }
}
