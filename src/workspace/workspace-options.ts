import type { BackendName, SettingValue } from '../backend/backend.js';
import type { Config, Credentials, Region } from '../config/index.js';
import type { MixpanelClient, MixpanelClientOptions } from '../mixpanel/index.js';

/**
 * Client settings a {@link WorkspaceOptions} may pass through to the Mixpanel client it builds
 * (everything except what comes from the credentials).
 */
export type WorkspaceClientOptions = Omit<
  MixpanelClientOptions,
  'auth' | 'region' | 'baseUrl' | 'workspaceId'
>;

/**
 * How a `Workspace` finds its Mixpanel project and its database. Everything is optional and is
 * resolved lazily: credentials only when the API is first called, the database only when it is
 * first used.
 */
export interface WorkspaceOptions {
  /** Account from the config file (`[accounts.NAME]`). Beats `MP_ACCOUNT` and the environment credentials. */
  readonly account?: string;
  /** Project id to use instead of the account's (digits). Also names the default database file. */
  readonly projectId?: string;
  /** Data-residency region to use instead of the account's. */
  readonly region?: Region;
  /** API base URL override (a proxy, the fake server); beats `MP_API_BASE_URL` and the account's. */
  readonly baseUrl?: string;
  /**
   * Database file (DuckDB, SQLite). Default: `~/.mp/data/{projectId}.db` (`MP_DATA_DIR` moves the
   * directory). Ignored by server backends (PostgreSQL).
   */
  readonly path?: string;
  /** Storage backend. Default: `database.default_backend` from the configuration (`duckdb`). */
  readonly backend?: BackendName;
  /** Backend settings by short key (`memory_limit`, `url`, `schema`...), as for `StorageEngine.open`. */
  readonly settings?: Readonly<Record<string, string | number | boolean | SettingValue>>;
  /** A throwaway database removed on `close()` (and when the process ends). */
  readonly ephemeral?: boolean;
  /** A database in RAM only (DuckDB, SQLite). */
  readonly inMemory?: boolean;
  /** Open the database read-only (many readers may share it; fetches fail with `ReadOnlyError`). */
  readonly readOnly?: boolean;
  /** Wait up to this many ms for another process's database lock before `DatabaseLockedError`. */
  readonly lockTimeoutMs?: number;
  /** An already-loaded configuration. Default: `loadConfig({ env })` when first needed. */
  readonly config?: Config;
  /** Credentials to use as they are, instead of resolving them from the config and environment. */
  readonly credentials?: Credentials;
  /** A ready Mixpanel client; when given, credentials are never resolved. */
  readonly client?: MixpanelClient;
  /** Settings for the client the workspace builds (clock, retry, rate limits, warnings...). */
  readonly clientOptions?: WorkspaceClientOptions;
  /** Environment to read configuration from instead of `process.env` (`MP_*` variables). */
  readonly env?: NodeJS.ProcessEnv;
}
