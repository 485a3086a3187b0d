/**
 * Configuration for the whole product: one TOML file (`~/.mp/config.toml`, or `MP_CONFIG_PATH`)
 * holding backend settings and Mixpanel accounts, overridable by environment variables and options.
 */

export {
  type AccountFields,
  type AddAccountOptions,
  addAccount,
  Credentials,
  type CredentialsInit,
  type CredentialsSource,
  listAccounts,
  type ResolveCredentialsOptions,
  removeAccount,
  resolveCredentials,
  setDefaultAccount,
  validateAccountName,
} from './accounts.js';
export { normalizeBaseUrl } from './base-url.js';
export {
  type AppliedBy,
  BACKENDS,
  type Backend,
  CONFIG_KEYS,
  type ConfigKey,
  type ConfigKeyDescriptor,
  type ConfigSource,
  type ConfigValue,
  type ConfigValueType,
  describeExpected,
  envVarForKey,
  findConfigKey,
  isConfigKey,
} from './config-keys.js';
export { dataDir, defaultDatabasePath } from './data-dir.js';
export {
  ACCOUNT_NAME_RE,
  type AccountConfig,
  type AccountKind,
  type Config,
  type ConfigEntry,
  type DatabaseConfig,
  type DuckDbSettings,
  type LoadConfigOptions,
  loadConfig,
  type PgSslMode,
  type PostgresSettings,
  REGIONS,
  type Region,
  type SqliteSettings,
} from './load-config.js';
export { type ConfigOptions, mpHomeDir, resolveConfigPath } from './paths.js';
export {
  type AccountSummary,
  accountSummary,
  MASK,
  type RedactedEntry,
  redact,
  redactedEntries,
  redactPostgresUrl,
} from './redact-config.js';
