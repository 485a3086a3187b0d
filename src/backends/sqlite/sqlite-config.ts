import type { AppliedSetting, SettingValue } from '../../backend/backend.js';
import { ConfigError, InvalidArgumentError } from '../../errors.js';

/** `PRAGMA journal_mode` values. `wal` lets readers keep reading while one writer writes. */
export type SqliteJournalMode = 'delete' | 'truncate' | 'persist' | 'memory' | 'wal' | 'off';
/** `PRAGMA synchronous` values. */
export type SqliteSynchronous = 'off' | 'normal' | 'full' | 'extra';
/** `PRAGMA temp_store` values. */
export type SqliteTempStore = 'default' | 'file' | 'memory';

/** The SQLite backend's settings (`database.sqlite.*`), all applied as pragmas on open. */
export interface SqliteConfig {
  /** Default `wal`. Persistent in the file; not applied on read-only opens (the file's mode is used). */
  readonly journal_mode: SqliteJournalMode;
  /** Default `normal` (safe with WAL; a power cut may lose the last commits, never corrupt). */
  readonly synchronous: SqliteSynchronous;
  /** Page cache; negative is KiB, positive is pages. Default -64000 (about 64 MB). */
  readonly cache_size: number;
  /** Where temporary tables and indexes live. Default `memory`. */
  readonly temp_store: SqliteTempStore;
  /** Bytes of the file to memory-map (capped by the SQLite build). Default 268435456 (256 MiB). */
  readonly mmap_size: number;
  /**
   * Milliseconds to wait for another connection's lock before failing with DatabaseLockedError.
   * Default 0 (fail at once). The open request's `lockTimeoutMs` (`--wait`) takes precedence.
   */
  readonly busy_timeout: number;
}

export const SQLITE_CONFIG_DEFAULTS: SqliteConfig = Object.freeze({
  journal_mode: 'wal',
  synchronous: 'normal',
  cache_size: -64000,
  temp_store: 'memory',
  mmap_size: 268435456,
  busy_timeout: 0,
});

/** A resolved config with the origin of each value (`default`, `file`, `env`, `option`). */
export interface ResolvedSqliteConfig {
  readonly config: SqliteConfig;
  readonly sources: Readonly<Record<keyof SqliteConfig, string>>;
}

type Key = keyof SqliteConfig;

/** The dotted config key, as error messages and `settings()` name it. */
export function sqliteConfigKey(key: string): string {
  return `database.sqlite.${key}`;
}

function invalid(key: string, expected: string, value: unknown): ConfigError {
  return new ConfigError(`Invalid value for ${sqliteConfigKey(key)}: expected ${expected}.`, {
    details: { key: sqliteConfigKey(key), value: String(value) },
  });
}

function parseChoice<T extends string>(key: string, choices: readonly T[], numeric: boolean) {
  return (value: SettingValue['value']): T => {
    const text = String(value).trim().toLowerCase();
    const found = choices.find((choice) => choice === text);
    if (found !== undefined) return found;
    // synchronous and temp_store also accept their numeric codes, as SQLite does.
    if (numeric && /^\d$/.test(text) && Number(text) < choices.length) return choices[Number(text)]!;
    throw invalid(key, `one of ${choices.join(', ')}`, value);
  };
}

function parseInteger(key: string, min: number) {
  return (value: SettingValue['value']): number => {
    const number =
      typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (typeof value === 'string' && value.trim() === '') throw invalid(key, 'an integer', value);
    if (!Number.isSafeInteger(number) || number < min) {
      throw invalid(key, min === 0 ? 'a non-negative integer' : 'an integer', value);
    }
    return number;
  };
}

const PARSERS: { readonly [K in Key]: (value: SettingValue['value']) => SqliteConfig[K] } = {
  journal_mode: parseChoice('journal_mode', ['delete', 'truncate', 'persist', 'memory', 'wal', 'off'], false),
  synchronous: parseChoice('synchronous', ['off', 'normal', 'full', 'extra'], true),
  cache_size: parseInteger('cache_size', Number.MIN_SAFE_INTEGER),
  temp_store: parseChoice('temp_store', ['default', 'file', 'memory'], true),
  mmap_size: parseInteger('mmap_size', 0),
  busy_timeout: parseInteger('busy_timeout', 0),
};

/** The keys this backend accepts, in the order they are applied. */
export const SQLITE_CONFIG_KEYS: readonly Key[] = Object.freeze(Object.keys(PARSERS) as Key[]);

/**
 * Validates the backend settings of an open request. Unknown keys and bad values fail with a
 * ConfigError naming the key. `lockTimeoutMs`, when given, overrides `busy_timeout`.
 */
export function resolveSqliteConfig(
  settings: Readonly<Record<string, SettingValue>>,
  lockTimeoutMs: number | undefined,
): ResolvedSqliteConfig {
  const config: Record<string, unknown> = { ...SQLITE_CONFIG_DEFAULTS };
  const sources: Record<string, string> = Object.fromEntries(
    SQLITE_CONFIG_KEYS.map((key) => [key, 'default']),
  );
  for (const [key, setting] of Object.entries(settings)) {
    if (!Object.hasOwn(PARSERS, key)) {
      throw new ConfigError(
        `Unknown setting ${sqliteConfigKey(key)} for the sqlite backend. Known: ${SQLITE_CONFIG_KEYS.join(', ')}.`,
        { details: { key: sqliteConfigKey(key) } },
      );
    }
    config[key] = PARSERS[key as Key](setting.value);
    sources[key] = setting.source;
  }
  if (lockTimeoutMs !== undefined) {
    if (!Number.isFinite(lockTimeoutMs) || lockTimeoutMs < 0) {
      throw new InvalidArgumentError('lockTimeoutMs must be a non-negative number of milliseconds.', {
        details: { lockTimeoutMs },
      });
    }
    config.busy_timeout = Math.ceil(lockTimeoutMs);
    sources.busy_timeout = 'option';
  }
  return {
    config: Object.freeze(config) as unknown as SqliteConfig,
    sources: Object.freeze(sources) as Record<Key, string>,
  };
}

/** The slice of better-sqlite3's Database that reads and writes pragmas. */
export interface PragmaRunner {
  pragma(source: string, options: { simple: true }): unknown;
}

const SYNCHRONOUS_NAMES: readonly SqliteSynchronous[] = ['off', 'normal', 'full', 'extra'];
const TEMP_STORE_NAMES: readonly SqliteTempStore[] = ['default', 'file', 'memory'];

/** How each key is spelled as a pragma and how its read-back value is shown. */
const PRAGMAS: { readonly [K in Key]: { readonly name: string; readonly show: (raw: unknown) => string } } = {
  journal_mode: { name: 'journal_mode', show: (raw) => String(raw).toLowerCase() },
  synchronous: { name: 'synchronous', show: (raw) => SYNCHRONOUS_NAMES[Number(raw)] ?? String(raw) },
  cache_size: { name: 'cache_size', show: String },
  temp_store: { name: 'temp_store', show: (raw) => TEMP_STORE_NAMES[Number(raw)] ?? String(raw) },
  mmap_size: { name: 'mmap_size', show: String },
  busy_timeout: { name: 'busy_timeout', show: String },
};

/**
 * Keys not applied on a read-only open: journal_mode needs a write (it is stored in the file, and
 * SQLite answers SQLITE_IOERR_LOCK when a read-only connection tries), so the file's own mode stays.
 * Every other key is per connection and applies to read-only opens too.
 */
const WRITE_ONLY_KEYS: ReadonlySet<Key> = new Set<Key>(['journal_mode']);

/**
 * Applies every setting as a pragma, busy_timeout first so the others wait for locks too. Values
 * are inlined because pragmas take no parameters; that is safe because each one was validated
 * above to be a known keyword or an integer.
 */
export function applySqliteConfig(db: PragmaRunner, resolved: ResolvedSqliteConfig, readOnly: boolean): void {
  const order: readonly Key[] = [
    'busy_timeout',
    ...SQLITE_CONFIG_KEYS.filter((key) => key !== 'busy_timeout'),
  ];
  for (const key of order) {
    if (readOnly && WRITE_ONLY_KEYS.has(key)) continue;
    db.pragma(`${PRAGMAS[key].name} = ${resolved.config[key]}`, { simple: true });
  }
}

/** Reads every setting back from the engine (what SQLite reports now, not what was asked). */
export function readSqliteSettings(
  db: PragmaRunner,
  resolved: ResolvedSqliteConfig,
  readOnly: boolean,
): AppliedSetting[] {
  return SQLITE_CONFIG_KEYS.map((key) => ({
    key: sqliteConfigKey(key),
    value: showPragma(key, db.pragma(PRAGMAS[key].name, { simple: true })),
    source: readOnly && WRITE_ONLY_KEYS.has(key) ? 'engine' : resolved.sources[key],
  }));
}

/** An in-memory database answers `PRAGMA mmap_size` with no row: there is no file to map. */
function showPragma(key: Key, raw: unknown): string {
  return raw === undefined ? 'not applicable' : PRAGMAS[key].show(raw);
}
