import { inspect } from 'node:util';
import type { TomlTable, TomlValue } from 'smol-toml';
import { ConfigError, InvalidArgumentError } from '../errors.js';
import { normalizeBaseUrl } from './base-url.js';
import { EnvRefError, expandEnvRefs, readConfigFile } from './config-file.js';
import {
  type AppliedBy,
  type Backend,
  CONFIG_KEYS,
  type ConfigKey,
  type ConfigKeyDescriptor,
  type ConfigSource,
  type ConfigValue,
  findConfigKey,
  parseConfigValue,
} from './config-keys.js';
import { type ConfigOptions, configEnv, envValue, resolveConfigPath } from './paths.js';
import { type AccountSummary, accountSummary, redactedEntries } from './redact-config.js';

/** Mixpanel data-residency regions. */
export type Region = 'us' | 'eu' | 'in';

/** Every region, in display order. */
export const REGIONS: readonly Region[] = ['us', 'eu', 'in'];

/** How an account authenticates: a service account, or the deprecated project API secret. */
export type AccountKind = 'serviceAccount' | 'projectSecret';

/** Account names must be usable as bare CLI arguments and file names. */
export const ACCOUNT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * One `[accounts.NAME]` table after validation and `${VAR}` expansion. `secret` is a
 * non-enumerable property so spreading, `JSON.stringify` or `util.inspect` never show it.
 */
export interface AccountConfig {
  /** The NAME in `[accounts.NAME]`. */
  readonly name: string;
  /** Which credential pair the account holds. */
  readonly kind: AccountKind;
  /** Service-account user name; `undefined` for project-secret accounts. */
  readonly username: string | undefined;
  /** Service-account secret, or the legacy project secret. Non-enumerable. */
  readonly secret: string;
  /** Project id as a digit string (ids can exceed what a double holds exactly). */
  readonly projectId: string | undefined;
  /** Data-residency region (default `us`). */
  readonly region: Region;
  /** Canonical base URL override, if any. */
  readonly apiBaseUrl: string | undefined;
  /** Data-view workspace id as a digit string, if any. */
  readonly workspaceId: string | undefined;
}

/** One configuration key as resolved: its value and where the value came from. */
export interface ConfigEntry {
  /** Dotted key. */
  readonly key: ConfigKey;
  /** Effective value; `undefined` when unset and without default. Non-enumerable for secrets. */
  readonly value: ConfigValue | undefined;
  /** Which layer supplied the value. */
  readonly source: ConfigSource;
  /** True for secrets; display through `redact()`. */
  readonly secret: boolean;
  /** Component that applies the key. */
  readonly appliedBy: AppliedBy;
  /** Environment variable for the key. */
  readonly env: string;
  /** Built-in default. */
  readonly default: ConfigValue | undefined;
  /** One-line help. */
  readonly description: string;
}

/** DuckDB settings that were set; absent keys mean "DuckDB's own default". */
export interface DuckDbSettings {
  /** `SET memory_limit`, e.g. `4GB`. */
  readonly memoryLimit?: string;
  /** memory_limit during writes when memory_limit is not set, e.g. `256MB`. */
  readonly bulkMemoryLimit?: string;
  /** threads during writes when threads is not set. */
  readonly writeThreads?: number;
  /** `SET threads`. */
  readonly threads?: number;
  /** `SET temp_directory`. */
  readonly tempDirectory?: string;
}

/** SQLite pragmas, all with defaults. */
export interface SqliteSettings {
  /** PRAGMA journal_mode. */
  readonly journalMode: 'wal' | 'delete' | 'truncate' | 'persist' | 'memory' | 'off';
  /** PRAGMA synchronous. */
  readonly synchronous: 'off' | 'normal' | 'full' | 'extra';
  /** PRAGMA cache_size (negative = KiB). */
  readonly cacheSize: number;
  /** PRAGMA temp_store. */
  readonly tempStore: 'default' | 'file' | 'memory';
  /** PRAGMA mmap_size in bytes. */
  readonly mmapSize: number;
}

/** libpq-style TLS modes. */
export type PgSslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/**
 * PostgreSQL connection settings with `database.postgresql.url` already folded in. For host, port,
 * user, password, database and sslmode the URL's component wins unless the individual key was set
 * at a higher-precedence layer (e.g. `MP_PG_PASSWORD` beats a password inside a URL from the file).
 * `password` is non-enumerable.
 */
export interface PostgresSettings {
  /** Host name, IP address or socket directory. */
  readonly host: string;
  /** Server port. */
  readonly port: number;
  /** Role; `undefined` lets the driver choose. */
  readonly user: string | undefined;
  /** Password; non-enumerable. */
  readonly password: string | undefined;
  /** Database name. */
  readonly database: string;
  /** Schema for workspace tables. */
  readonly schema: string;
  /** TLS mode. */
  readonly sslmode: PgSslMode;
  /** Maximum connections. */
  readonly poolSize: number;
  /** Statement timeout in ms, 0 = none. */
  readonly statementTimeout: number;
}

/** Typed view of the `[database]` section. */
export interface DatabaseConfig {
  /** Backend for workspaces. */
  readonly defaultBackend: Backend;
  /** DuckDB settings that were set. */
  readonly duckdb: DuckDbSettings;
  /** SQLite pragmas. */
  readonly sqlite: SqliteSettings;
  /** PostgreSQL connection settings. */
  readonly postgresql: PostgresSettings;
}

/** The whole resolved configuration. Frozen; secrets never appear in `toJSON()` or `util.inspect`. */
export interface Config {
  /** The config file that was read (or would have been). */
  readonly path: string;
  /** False when the file does not exist and everything came from defaults, env and options. */
  readonly fileExists: boolean;
  /** Typed `[database]` settings. */
  readonly database: DatabaseConfig;
  /** Accounts by name (a null-prototype record: look names up freely). */
  readonly accounts: Readonly<Record<string, AccountConfig>>;
  /** Top-level `default_account`, if set. Not checked against `accounts` until credentials are resolved. */
  readonly defaultAccount: string | undefined;
  /** One key's value and source. Throws {@link InvalidArgumentError} for an unknown key. */
  get(key: ConfigKey): ConfigEntry;
  /** Every known key in display order (for `mp config show`). Secret values are non-enumerable. */
  entries(): readonly ConfigEntry[];
  /** A secret-free view. */
  toJSON(): Record<string, unknown>;
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions extends ConfigOptions {
  /**
   * Explicit values (CLI flags, library options) by dotted key; they beat env, file and default.
   * `undefined` values are ignored so callers can pass optional flags straight through.
   */
  overrides?: Readonly<Record<string, unknown>>;
}

const SOURCE_RANK: Readonly<Record<ConfigSource, number>> = { default: 0, file: 1, env: 2, option: 3 };

const TOP_LEVEL_KEYS = ['database', 'accounts', 'default_account'] as const;
const ACCOUNT_KEYS = [
  'username',
  'secret',
  'project_secret',
  'project_id',
  'region',
  'api_base_url',
  'workspace_id',
] as const;
/** Account fields whose values must never be echoed. */
export const SECRET_ACCOUNT_KEYS: ReadonlySet<string> = new Set(['secret', 'project_secret']);

/**
 * Loads `~/.mp/config.toml` (or `MP_CONFIG_PATH`, or `opts.configPath`) and resolves every key with
 * precedence option > env > file > default. A missing file is fine.
 *
 * @throws ConfigError for TOML syntax errors (file and line), unknown keys, wrong types or values,
 *   and unset `${VAR}` references; `details.key` names the offending dotted key.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = configEnv(opts);
  const file = resolveConfigPath(opts);
  const raw = readConfigFile(file);
  const ctx: FileContext = { file, env };

  const fileValues = new Map<string, unknown>();
  let accountsRaw: TomlTable | undefined;
  let defaultAccount: string | undefined;
  if (raw !== undefined) {
    for (const [k, v] of Object.entries(raw)) {
      if (k === 'database') {
        collectSection(v, 'database', fileValues, ctx);
      } else if (k === 'accounts') {
        if (!isTable(v)) throw wrongShape('accounts', 'a table of [accounts.NAME] tables', ctx);
        accountsRaw = v;
      } else if (k === 'default_account') {
        defaultAccount = parseDefaultAccount(v, ctx);
      } else {
        throw unknownKey(k, TOP_LEVEL_KEYS, ctx);
      }
    }
  }

  const overrides = opts.overrides ?? {};
  for (const k of Object.keys(overrides)) {
    if (findConfigKey(k) === undefined) {
      throw new ConfigError(`Unknown config key '${k}' in options`, {
        details: {
          key: k,
          source: 'option',
          suggestion: suggest(
            k,
            CONFIG_KEYS.map((d) => d.key),
          ),
        },
      });
    }
  }

  const entries = new Map<string, ConfigEntry>();
  for (const d of CONFIG_KEYS) {
    entries.set(d.key, resolveEntry(d, overrides, env, fileValues, file));
  }

  const accounts: Record<string, AccountConfig> = Object.create(null);
  if (accountsRaw !== undefined) {
    for (const [name, table] of Object.entries(accountsRaw)) {
      accounts[name] = parseAccount(name, table, ctx);
    }
  }
  Object.freeze(accounts);

  return new LoadedConfig(file, raw !== undefined, buildDatabase(entries), accounts, defaultAccount, entries);
}

/** Where account or file values come from, for messages and `${VAR}` expansion. */
export interface FileContext {
  /** File the values came from, for messages. */
  readonly file: string;
  /** Environment for `${VAR}` expansion; `undefined` skips expansion (values we are about to write). */
  readonly env: NodeJS.ProcessEnv | undefined;
}

function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && isPlainish(v);
}

function isPlainish(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

/** Walks a `database.*` table, recording leaf values and rejecting anything not in CONFIG_KEYS. */
function collectSection(value: TomlValue, prefix: string, out: Map<string, unknown>, ctx: FileContext): void {
  const children = childrenOf(prefix);
  if (!isTable(value)) throw wrongShape(prefix, `a table with keys ${children.join(', ')}`, ctx);
  for (const [k, v] of Object.entries(value)) {
    const full = `${prefix}.${k}`;
    if (findConfigKey(full) !== undefined) out.set(full, v);
    else if (childrenOf(full).length > 0) collectSection(v, full, out, ctx);
    else throw unknownKey(full, children, ctx);
  }
}

/** Names directly under `prefix` (tables and leaves) according to CONFIG_KEYS. */
function childrenOf(prefix: string): string[] {
  const names = new Set<string>();
  for (const d of CONFIG_KEYS) {
    if (d.key.startsWith(`${prefix}.`)) names.add(d.key.slice(prefix.length + 1).split('.')[0] ?? '');
  }
  return [...names];
}

function unknownKey(full: string, siblings: readonly string[], ctx: FileContext): ConfigError {
  const dot = full.lastIndexOf('.');
  const parent = dot < 0 ? '' : full.slice(0, dot);
  const leaf = dot < 0 ? full : full.slice(dot + 1);
  const near = suggest(leaf, siblings);
  const suggestion = near === undefined ? undefined : parent === '' ? near : `${parent}.${near}`;
  const where = parent === '' ? 'at the top level' : `in [${parent}]`;
  const hint = suggestion === undefined ? '' : ` Did you mean '${suggestion}'?`;
  return new ConfigError(
    `Unknown config key '${full}' in ${ctx.file}.${hint} Allowed ${where}: ${siblings.join(', ')}.`,
    { details: { key: full, path: ctx.file, expected: siblings, suggestion } },
  );
}

function wrongShape(key: string, expected: string, ctx: FileContext): ConfigError {
  return new ConfigError(`Invalid config key '${key}' in ${ctx.file}: expected ${expected}`, {
    details: { key, path: ctx.file, expected },
  });
}

/** Closest candidate by edit distance, if close enough to be a plausible typo. */
function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** A short, safe rendering of a rejected non-secret value for error messages. */
function describeGot(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date || (typeof v === 'object' && v !== null && !isTable(v))) return 'a date/time';
  if (typeof v === 'object' && v !== null) return 'a table';
  return typeof v;
}

function expandFileString(value: string, key: string, ctx: FileContext): string {
  if (ctx.env === undefined) return value;
  try {
    return expandEnvRefs(value, ctx.env);
  } catch (err) {
    if (!(err instanceof EnvRefError)) throw err;
    throw new ConfigError(`Invalid value for ${key} in ${ctx.file}: ${err.message}`, {
      details: { key, path: ctx.file, variable: err.variable },
    });
  }
}

function resolveEntry(
  d: ConfigKeyDescriptor,
  overrides: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
  fileValues: ReadonlyMap<string, unknown>,
  file: string,
): ConfigEntry {
  // Every layer that sets the key is validated, not just the winner, so a broken file is reported
  // even while an env var happens to mask it.
  const layers: { source: ConfigSource; raw: unknown; where: string }[] = [];
  const opt = Object.hasOwn(overrides, d.key) ? overrides[d.key] : undefined;
  if (opt !== undefined) layers.push({ source: 'option', raw: opt, where: '(from options)' });
  const fromEnv = envValue(env, d.env);
  if (fromEnv !== undefined) {
    layers.push({ source: 'env', raw: fromEnv, where: `from environment variable ${d.env}` });
  }
  if (fileValues.has(d.key)) {
    const v = fileValues.get(d.key);
    const raw = typeof v === 'string' ? expandFileString(v, d.key, { file, env }) : v;
    layers.push({ source: 'file', raw, where: `in ${file}` });
  }

  let value: ConfigValue | undefined;
  let source: ConfigSource = 'default';
  for (const layer of layers) {
    const parsed = parseConfigValue(d, layer.raw);
    if (!parsed.ok) {
      const got = d.secret ? '' : `, got ${describeGot(layer.raw)}`;
      throw new ConfigError(`Invalid value for ${d.key} ${layer.where}: ${parsed.problem}${got}`, {
        details: { key: d.key, source: layer.source, expected: parsed.problem.replace(/^expected /, '') },
      });
    }
    if (parsed.value !== undefined && source === 'default') {
      value = parsed.value;
      source = layer.source;
    }
  }
  if (source === 'default') value = d.default;
  return makeEntry(d, value, source);
}

function makeEntry(
  d: ConfigKeyDescriptor,
  value: ConfigValue | undefined,
  source: ConfigSource,
): ConfigEntry {
  const entry = {
    key: d.key as ConfigKey,
    value,
    source,
    secret: d.secret,
    appliedBy: d.appliedBy,
    env: d.env,
    default: d.default,
    description: d.description,
  };
  if (d.secret) Object.defineProperty(entry, 'value', { enumerable: false });
  return Object.freeze(entry);
}

function parseDefaultAccount(v: TomlValue, ctx: FileContext): string | undefined {
  if (typeof v !== 'string') throw wrongShape('default_account', 'an account name (string)', ctx);
  const name = expandFileString(v, 'default_account', ctx).trim();
  if (name === '') return undefined;
  if (!ACCOUNT_NAME_RE.test(name)) {
    throw new ConfigError(
      `Invalid value for default_account in ${ctx.file}: expected an account name matching ${ACCOUNT_NAME_RE}, got '${name}'`,
      { details: { key: 'default_account', path: ctx.file } },
    );
  }
  return name;
}

/** Renders `accounts.NAME.field` with NAME quoted when TOML would need quotes. */
export function accountKey(name: string, field?: string): string {
  const n = /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
  return field === undefined ? `accounts.${n}` : `accounts.${n}.${field}`;
}

/**
 * Validates one `[accounts.NAME]` table. Shared by loading (with `${VAR}` expansion) and by
 * `addAccount` (without, since it validates literal values about to be written).
 *
 * @throws ConfigError naming `accounts.NAME.field`
 */
export function parseAccount(name: string, table: unknown, ctx: FileContext): AccountConfig {
  const base = accountKey(name);
  const where = `in ${ctx.file}`;
  if (!ACCOUNT_NAME_RE.test(name)) {
    throw new ConfigError(
      `Invalid account name ${JSON.stringify(name)} ${where}: names must match ${ACCOUNT_NAME_RE} (letters, digits, '_', '.', '-')`,
      { details: { key: base, path: ctx.file } },
    );
  }
  if (!isTable(table)) throw wrongShape(base, 'a table (write it as [accounts.NAME])', ctx);

  const fields = new Map<string, string>();
  for (const [k, v] of Object.entries(table)) {
    const key = `${base}.${k}`;
    if (!(ACCOUNT_KEYS as readonly string[]).includes(k)) throw unknownKey(key, ACCOUNT_KEYS, ctx);
    const secret = SECRET_ACCOUNT_KEYS.has(k);
    const bad = (expected: string): ConfigError =>
      new ConfigError(
        `Invalid value for ${key} ${where}: expected ${expected}${secret ? '' : `, got ${describeGot(v)}`}`,
        { details: { key, path: ctx.file, expected } },
      );
    let s: string;
    if ((k === 'project_id' || k === 'workspace_id') && (typeof v === 'number' || typeof v === 'bigint')) {
      s = String(v);
    } else if (typeof v === 'string') {
      s = expandFileString(v, key, ctx);
    } else {
      throw bad(k === 'project_id' || k === 'workspace_id' ? 'a numeric id' : 'a string');
    }
    if (!secret) s = s.trim();
    if (s === '') continue;
    if ((k === 'project_id' || k === 'workspace_id') && !/^\d+$/.test(s))
      throw bad('a numeric id (digits only)');
    if (k === 'region') {
      s = s.toLowerCase();
      if (!(REGIONS as readonly string[]).includes(s)) throw bad(`one of ${REGIONS.join(', ')}`);
    }
    if (k === 'api_base_url') s = normalizeBaseUrl(s, key);
    fields.set(k, s);
  }

  const missing = (field: string, why: string): ConfigError =>
    new ConfigError(
      `Account '${name}' ${where} is incomplete: ${accountKey(name, field)} is required ${why}`,
      {
        details: { key: accountKey(name, field), path: ctx.file },
      },
    );
  const projectSecret = fields.get('project_secret');
  const username = fields.get('username');
  const secret = fields.get('secret');
  let kind: AccountKind;
  if (projectSecret !== undefined) {
    if (username !== undefined || secret !== undefined) {
      throw new ConfigError(
        `Account '${name}' ${where} sets both project_secret and username/secret; use a service account (username + secret) or the legacy project_secret, not both`,
        { details: { key: accountKey(name, 'project_secret'), path: ctx.file } },
      );
    }
    kind = 'projectSecret';
  } else {
    if (username === undefined && secret === undefined) {
      throw new ConfigError(
        `Account '${name}' ${where} has no credentials: set username and secret (service account) or project_secret (legacy)`,
        { details: { key: base, path: ctx.file } },
      );
    }
    if (username === undefined) throw missing('username', 'with secret');
    if (secret === undefined) throw missing('secret', 'with username');
    if (!fields.has('project_id')) throw missing('project_id', 'for service accounts');
    kind = 'serviceAccount';
  }

  const account = {
    name,
    kind,
    username,
    secret: (projectSecret ?? secret) as string,
    projectId: fields.get('project_id'),
    region: (fields.get('region') ?? 'us') as Region,
    apiBaseUrl: fields.get('api_base_url'),
    workspaceId: fields.get('workspace_id'),
  };
  Object.defineProperty(account, 'secret', { enumerable: false });
  return Object.freeze(account);
}

interface PgUrlParts {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslmode?: PgSslMode;
}

const URL_KEY = 'database.postgresql.url';

/** Splits a postgres:// URL. Errors never repeat the URL, which usually carries a password. */
function parsePostgresUrl(value: string): PgUrlParts {
  const fail = (problem: string): never => {
    throw new ConfigError(`Invalid value for ${URL_KEY}: ${problem}`, {
      details: { key: URL_KEY, expected: 'postgres://user:password@host:port/database' },
    });
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('expected a URL such as postgres://user:password@host:5432/database (check the port)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return fail('expected the postgres:// or postgresql:// scheme');
  }
  const decode = (s: string, what: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return fail(`the ${what} has invalid percent-encoding`);
    }
  };
  const out: PgUrlParts = {};
  const setPort = (p: string): void => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) fail('the port must be an integer from 1 to 65535');
    out.port = n;
  };
  if (url.hostname !== '') out.host = decode(url.hostname, 'host').replace(/^\[(.*)\]$/, '$1');
  if (url.port !== '') setPort(url.port);
  if (url.username !== '') out.user = decode(url.username, 'user name');
  if (url.password !== '') out.password = decode(url.password, 'password');
  const db = decode(url.pathname.replace(/^\//, ''), 'database name');
  if (db.includes('/')) fail('the path must be a single database name');
  if (db !== '') out.database = db;
  for (const [k, v] of url.searchParams) {
    if (k === 'host') out.host = v;
    else if (k === 'port') setPort(v);
    else if (k === 'user') out.user = v;
    else if (k === 'password') out.password = v;
    else if (k === 'dbname') out.database = v;
    else if (k === 'sslmode') {
      const parsed = parseConfigValue(findConfigKey('database.postgresql.sslmode')!, v);
      if (!parsed.ok || parsed.value === undefined)
        return fail(`sslmode ${parsed.ok ? 'is empty' : parsed.problem}`);
      out.sslmode = parsed.value as PgSslMode;
    } else {
      return fail(`unsupported parameter '${k}' (supported: host, port, user, password, dbname, sslmode)`);
    }
  }
  if (out.host?.includes(',')) fail('multiple hosts are not supported');
  return out;
}

function buildDatabase(entries: ReadonlyMap<string, ConfigEntry>): DatabaseConfig {
  const e = (key: ConfigKey): ConfigEntry => entries.get(key)!;
  const v = (key: ConfigKey): ConfigValue | undefined => e(key).value;

  const duckdb: {
    memoryLimit?: string;
    bulkMemoryLimit?: string;
    writeThreads?: number;
    threads?: number;
    tempDirectory?: string;
  } = {};
  const memoryLimit = v('database.duckdb.memory_limit');
  const bulkMemoryLimit = v('database.duckdb.bulk_memory_limit');
  if (bulkMemoryLimit !== undefined) duckdb.bulkMemoryLimit = bulkMemoryLimit as string;
  const writeThreads = v('database.duckdb.write_threads');
  if (writeThreads !== undefined) duckdb.writeThreads = writeThreads as number;
  const threads = v('database.duckdb.threads');
  const tempDirectory = v('database.duckdb.temp_directory');
  if (memoryLimit !== undefined) duckdb.memoryLimit = memoryLimit as string;
  if (threads !== undefined) duckdb.threads = threads as number;
  if (tempDirectory !== undefined) duckdb.tempDirectory = tempDirectory as string;

  const sqlite: SqliteSettings = {
    journalMode: v('database.sqlite.journal_mode') as SqliteSettings['journalMode'],
    synchronous: v('database.sqlite.synchronous') as SqliteSettings['synchronous'],
    cacheSize: v('database.sqlite.cache_size') as number,
    tempStore: v('database.sqlite.temp_store') as SqliteSettings['tempStore'],
    mmapSize: v('database.sqlite.mmap_size') as number,
  };

  const urlEntry = e(URL_KEY);
  const parts = urlEntry.value === undefined ? {} : parsePostgresUrl(urlEntry.value as string);
  const pick = <T>(key: ConfigKey, fromUrl: T | undefined): T | undefined => {
    const own = e(key);
    if (fromUrl !== undefined && SOURCE_RANK[urlEntry.source] >= SOURCE_RANK[own.source]) return fromUrl;
    return own.value as T | undefined;
  };
  const postgresql = {
    host: pick<string>('database.postgresql.host', parts.host) as string,
    port: pick<number>('database.postgresql.port', parts.port) as number,
    user: pick<string>('database.postgresql.user', parts.user),
    password: pick<string>('database.postgresql.password', parts.password),
    database: pick<string>('database.postgresql.database', parts.database) as string,
    schema: v('database.postgresql.schema') as string,
    sslmode: pick<PgSslMode>('database.postgresql.sslmode', parts.sslmode) as PgSslMode,
    poolSize: v('database.postgresql.pool_size') as number,
    statementTimeout: v('database.postgresql.statement_timeout') as number,
  };
  Object.defineProperty(postgresql, 'password', { enumerable: false });

  return Object.freeze({
    defaultBackend: v('database.default_backend') as Backend,
    duckdb: Object.freeze(duckdb),
    sqlite: Object.freeze(sqlite),
    postgresql: Object.freeze(postgresql),
  });
}

class LoadedConfig implements Config {
  readonly path: string;
  readonly fileExists: boolean;
  readonly database: DatabaseConfig;
  readonly accounts: Readonly<Record<string, AccountConfig>>;
  readonly defaultAccount: string | undefined;
  readonly #entries: ReadonlyMap<string, ConfigEntry>;

  constructor(
    path: string,
    fileExists: boolean,
    database: DatabaseConfig,
    accounts: Readonly<Record<string, AccountConfig>>,
    defaultAccount: string | undefined,
    entries: ReadonlyMap<string, ConfigEntry>,
  ) {
    this.path = path;
    this.fileExists = fileExists;
    this.database = database;
    this.accounts = accounts;
    this.defaultAccount = defaultAccount;
    this.#entries = entries;
    Object.freeze(this);
  }

  get(key: ConfigKey): ConfigEntry {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      throw new InvalidArgumentError(`Unknown config key '${String(key)}'`, { details: { key } });
    }
    return entry;
  }

  entries(): readonly ConfigEntry[] {
    return [...this.#entries.values()];
  }

  toJSON(): Record<string, unknown> {
    const accounts: AccountSummary[] = Object.values(this.accounts).map((a) =>
      accountSummary(a, a.name === this.defaultAccount),
    );
    return {
      path: this.path,
      fileExists: this.fileExists,
      defaultAccount: this.defaultAccount,
      settings: redactedEntries(this),
      accounts,
    };
  }

  [inspect.custom](_depth: number, options: object): string {
    return `Config ${inspect(this.toJSON(), { ...options, depth: 4 })}`;
  }
}
