import type { BackendName, SettingValue } from '../backend/backend.js';
import { isBackendName } from '../backend/backend-registry.js';
import { type Config, loadConfig } from '../config/index.js';
import { InvalidArgumentError } from '../errors.js';

/** Config file section per backend (`[database.postgresql]` keeps the seed's spelling). */
const SECTION: Readonly<Record<BackendName, string>> = {
  duckdb: 'database.duckdb.',
  sqlite: 'database.sqlite.',
  postgres: 'database.postgresql.',
};

/** What the engine hands to a backend after merging configuration and explicit options. */
export interface ResolvedBackend {
  readonly backend: BackendName;
  readonly settings: Readonly<Record<string, SettingValue>>;
}

/**
 * Chooses the backend (explicit option, else `database.default_backend`) and merges its settings:
 * values set in the config file or environment, overridden by explicit `settings`. Keys left at
 * their built-in default are not passed, so each backend applies (and reports) its own defaults and
 * an explicit `url` is not contradicted by a default `host`.
 */
export function resolveBackend(
  backend: string | undefined,
  explicit: Readonly<Record<string, string | number | boolean | SettingValue>> = {},
  config: Config = loadConfig(),
): ResolvedBackend {
  const name = backend ?? config.database.defaultBackend;
  if (!isBackendName(name)) {
    throw new InvalidArgumentError(`Unknown backend '${name}'. Use duckdb, sqlite or postgres.`);
  }
  const settings: Record<string, SettingValue> = {};
  const prefix = SECTION[name];
  for (const entry of config.entries()) {
    if (!entry.key.startsWith(prefix) || entry.source === 'default' || entry.value === undefined) continue;
    settings[entry.key.slice(prefix.length)] = { value: entry.value, source: entry.source };
  }
  for (const [key, value] of Object.entries(explicit)) {
    settings[key] = typeof value === 'object' && value !== null ? value : { value, source: 'option' };
  }
  return { backend: name, settings };
}
