import type { AppliedSetting, SettingValue } from '../../backend/backend.js';
import { ConfigError } from '../../errors.js';

/** PostgreSQL settings this backend applies, keyed as in `[database.postgresql]`. */
export interface PostgresSettings {
  /** `postgres://user:password@host:port/database?sslmode=…`; explicit keys override its parts. Secret. */
  readonly url?: string;
  /** Host name, IP address or Unix socket directory. Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 5432. */
  readonly port?: number;
  /** Role to connect as. Unset: the driver's default (the OS user). */
  readonly user?: string;
  /** Secret. Unset: the driver may still use PGPASSWORD or ~/.pgpass, as libpq does. */
  readonly password?: string;
  /** Default `mixpanel`. The database must exist; the backend creates only schemas. */
  readonly database?: string;
  /** Schema holding the workspace tables (persistent mode). Default `public`; created when missing. */
  readonly schema?: string;
  /** `disable`, `prefer` (default: TLS if the server offers it), `require`, `verify-ca`, `verify-full`. */
  readonly sslmode?: SslMode;
  /** Maximum pooled connections. Default 4. */
  readonly pool_size?: number;
  /** Per-statement timeout in milliseconds; 0 (default) means none. */
  readonly statement_timeout?: number;
}

/** libpq's TLS modes that node-postgres can honour (`allow` has no equivalent and is rejected). */
export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

const SSL_MODES: readonly SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** Validated connection settings, with where each requested value came from. */
export interface PostgresConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string;
  readonly schema: string;
  readonly sslmode: SslMode;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  /** Config key (short form) → source (`default`, `file`, `env`, `option`, or `url` for parts of the URL). */
  readonly sources: Readonly<Record<string, string>>;
  /** True when a password or URL was configured; `settings()` then lists them masked. */
  readonly secretsSet: { readonly password: boolean; readonly url: boolean };
}

/** The keys `settings()` reports, in order (short form; the full key is `database.postgresql.<key>`). */
export const POSTGRES_SETTING_KEYS = [
  'url',
  'host',
  'port',
  'user',
  'password',
  'database',
  'schema',
  'sslmode',
  'pool_size',
  'statement_timeout',
] as const;

type Key = (typeof POSTGRES_SETTING_KEYS)[number];

const DEFAULTS = {
  host: '127.0.0.1',
  port: 5432,
  database: 'mixpanel',
  schema: 'public',
  sslmode: 'prefer',
  pool_size: 4,
};

/** PostgreSQL's identifier limit (NAMEDATALEN − 1 bytes); longer names are silently truncated by the server. */
const MAX_IDENTIFIER_BYTES = 63;

/** The full config key, as errors and `settings()` name it. */
export function postgresKey(key: string): string {
  return `database.postgresql.${key}`;
}

function invalid(key: string, expected: string, value?: unknown): ConfigError {
  // Secrets never appear in the message: only non-secret keys echo what they got.
  const got = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
  return new ConfigError(`${postgresKey(key)} must be ${expected}${got}.`, {
    details: { key: postgresKey(key) },
  });
}

function text(key: Key, value: unknown, secret = false): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(key, 'a non-empty string', secret ? undefined : value);
  return value;
}

function integer(key: Key, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw invalid(key, `an integer from ${min} to ${max}`, value);
  }
  return n;
}

function identifier(key: Key, value: unknown): string {
  const name = text(key, value);
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES || name.includes('\0')) {
    throw invalid(key, `a name of at most ${MAX_IDENTIFIER_BYTES} bytes`, value);
  }
  return name;
}

function sslmode(key: Key, value: unknown): SslMode {
  const mode = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!SSL_MODES.includes(mode as SslMode)) throw invalid(key, `one of ${SSL_MODES.join(', ')}`, value);
  return mode as SslMode;
}

/** The parts of a `postgres://` URL. Its text never appears in an error (it may hold a password). */
function parseUrl(raw: unknown): Partial<Record<Key, string | number>> {
  if (typeof raw !== 'string') throw invalid('url', 'a postgres:// or postgresql:// connection string');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch (error) {
    throw new ConfigError(`${postgresKey('url')} is not a valid URL.`, {
      details: { key: postgresKey('url') },
      cause: error instanceof Error ? new Error(error.name) : undefined,
    });
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw invalid('url', 'a postgres:// or postgresql:// connection string');
  }
  const parts: Partial<Record<Key, string | number>> = {};
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw invalid('url', 'a URL with valid percent-encoding');
    }
  };
  if (url.hostname) parts.host = decode(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (url.port) parts.port = Number(url.port);
  if (url.username) parts.user = decode(url.username);
  if (url.password) parts.password = decode(url.password);
  const database = decode(url.pathname.replace(/^\//, ''));
  if (database) parts.database = database;
  for (const [name, value] of url.searchParams) {
    if (name === 'sslmode') parts.sslmode = value;
    else if (name === 'host')
      parts.host = value; // libpq's way to name a Unix socket directory
    else if (name === 'schema') parts.schema = value;
    else throw invalid('url', `a URL whose query names only sslmode, host or schema (not '${name}')`);
  }
  return parts;
}

/**
 * Validates the `[database.postgresql]` settings. Precedence per key: an explicit setting, then the
 * matching part of `url`, then the default. Unknown keys are rejected with a {@link ConfigError}
 * naming the key.
 */
export function resolvePostgresConfig(settings: Readonly<Record<string, SettingValue>>): PostgresConfig {
  for (const key of Object.keys(settings)) {
    if (!(POSTGRES_SETTING_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`Unknown PostgreSQL setting '${postgresKey(key)}'.`, {
        details: { key: postgresKey(key) },
      });
    }
  }
  const fromUrl = settings.url === undefined ? {} : parseUrl(settings.url.value);
  const sources: Record<string, string> = {};
  const pick = (key: Key): unknown => {
    const explicit = settings[key];
    if (explicit !== undefined && explicit.source !== 'default') {
      sources[key] = explicit.source;
      return explicit.value;
    }
    if (fromUrl[key] !== undefined) {
      sources[key] = `${settings.url?.source ?? 'option'} (url)`;
      return fromUrl[key];
    }
    sources[key] = explicit?.source ?? 'default';
    return explicit?.value ?? (DEFAULTS as Record<string, unknown>)[key];
  };
  if (settings.url) sources.url = settings.url.source;

  const user = pick('user');
  const password = pick('password');
  return {
    host: text('host', pick('host')),
    port: integer('port', pick('port'), 1, 65535),
    user: user === undefined ? undefined : text('user', user),
    password: password === undefined ? undefined : text('password', password, true),
    database: identifier('database', pick('database')),
    schema: identifier('schema', pick('schema')),
    sslmode: sslmode('sslmode', pick('sslmode')),
    poolSize: integer('pool_size', pick('pool_size'), 1, 100),
    statementTimeoutMs: integer('statement_timeout', pick('statement_timeout') ?? 0, 0, 2_147_483_647),
    sources,
    secretsSet: { password: password !== undefined, url: settings.url !== undefined },
  };
}

/**
 * `postgres://user@host:port/database (schema s)`, for messages. Never includes the password.
 */
export function describeLocation(config: PostgresConfig, schema: string): string {
  const host = config.host.includes(':') && !config.host.startsWith('/') ? `[${config.host}]` : config.host;
  const user = config.user === undefined ? '' : `${encodeURIComponent(config.user)}@`;
  return `postgres://${user}${host}:${config.port}/${config.database} (schema ${schema})`;
}

/**
 * Every applied setting, read back from the server through `query` (a pooled client), each with the
 * source of the requested value. The password and URL are listed only when set, masked. Besides the
 * `database.postgresql.*` keys: `lock_timeout` and `read_only` (from the open request), `time_zone`
 * and `server_version` (fixed by the backend / the server).
 */
export async function readAppliedSettings(
  query: (sql: string, params: readonly unknown[]) => Promise<unknown[][]>,
  config: PostgresConfig,
  poolSize: number,
): Promise<AppliedSetting[]> {
  const rows = await query(
    `SELECT current_user, current_database(), current_schema(), inet_server_port(),
            (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'statement_timeout'),
            (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'lock_timeout'),
            current_setting('default_transaction_read_only'),
            current_setting('server_version'),
            current_setting('TimeZone'),
            coalesce((SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()), false)`,
    [],
  );
  const [user, database, schema, port, statementTimeout, lockTimeout, readOnly, version, timeZone, ssl] =
    rows[0] ?? [];
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
  const out: AppliedSetting[] = [];
  const add = (key: Key, value: unknown) =>
    out.push({ key: postgresKey(key), value: text(value), source: config.sources[key] ?? 'default' });
  if (config.secretsSet.url) add('url', '********');
  add('host', config.host); // the server cannot tell which name reached it
  add('port', port ?? config.port); // NULL over a Unix socket
  add('user', user);
  if (config.secretsSet.password) add('password', '********');
  add('database', database);
  add('schema', schema);
  add('sslmode', `${config.sslmode} (ssl ${ssl === true ? 'on' : 'off'})`);
  add('pool_size', poolSize);
  add('statement_timeout', statementTimeout);
  out.push({ key: 'lock_timeout', value: text(lockTimeout), source: 'option' });
  out.push({ key: 'read_only', value: text(readOnly), source: 'option' });
  out.push({ key: 'time_zone', value: text(timeZone), source: 'engine' });
  out.push({ key: 'server_version', value: text(version), source: 'engine' });
  return out;
}
