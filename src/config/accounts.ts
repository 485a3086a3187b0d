import { inspect } from 'node:util';
import type { TomlTable } from 'smol-toml';
import { AccountNotFoundError, ConfigError, InvalidArgumentError } from '../errors.js';
import { normalizeBaseUrl } from './base-url.js';
import { escapeEnvRefs, readConfigFile, writeConfigFileAtomic } from './config-file.js';
import {
  ACCOUNT_NAME_RE,
  type AccountConfig,
  type AccountKind,
  type Config,
  loadConfig,
  parseAccount,
  REGIONS,
  type Region,
} from './load-config.js';
import { type ConfigOptions, configEnv, envValue, resolveConfigPath } from './paths.js';
import { type AccountSummary, accountSummary, MASK } from './redact-config.js';

/** Where resolved credentials came from. */
export type CredentialsSource = 'env' | 'config' | 'explicit';

/** Everything needed to build {@link Credentials}. */
export interface CredentialsInit {
  /** Service account or legacy project secret. */
  kind: AccountKind;
  /** Service-account user name; required for `serviceAccount`. */
  username?: string;
  /** Service-account secret or project secret. */
  secret: string;
  /** Project id (digits); required for `serviceAccount`. */
  projectId?: string;
  /** Region; default `us`. */
  region?: Region;
  /** Base URL override (validated and normalised here). */
  baseUrl?: string;
  /** Data-view workspace id (digits). */
  workspaceId?: string;
  /** Config account these came from. */
  accountName?: string;
  /** Where these came from. Default `explicit`. */
  source?: CredentialsSource;
  /** Set for deprecated authentication methods; the caller prints it once. */
  deprecationWarning?: string;
}

/**
 * Resolved Mixpanel credentials. The secret lives in a private field behind a prototype getter, so
 * it is never an own enumerable property: `JSON.stringify`, spreading, `util.inspect`, `toString()`
 * and template strings all show {@link MASK} instead. Only {@link authorizationHeader} and the
 * explicit `secret` getter hand it out.
 */
export class Credentials {
  /** Service account or legacy project secret. */
  readonly kind: AccountKind;
  /** Service-account user name (`undefined` for a project secret). */
  readonly username: string | undefined;
  /** Project id as digits; may be `undefined` only for a project secret. */
  readonly projectId: string | undefined;
  /** Data-residency region. */
  readonly region: Region;
  /** Canonical base URL override; `undefined` means "use the region's hosts". */
  readonly baseUrl: string | undefined;
  /** Data-view workspace id, if any. */
  readonly workspaceId: string | undefined;
  /** Config account name; `undefined` for env or explicit credentials. */
  readonly accountName: string | undefined;
  /** Where the credentials came from. */
  readonly source: CredentialsSource;
  /** Deprecation notice for the caller to print once (legacy project secret); else `undefined`. */
  readonly deprecationWarning: string | undefined;
  readonly #secret: string;

  /** @throws ConfigError when a field is missing or invalid */
  constructor(init: CredentialsInit) {
    const fail = (key: string, problem: string): never => {
      throw new ConfigError(`Invalid credentials: ${key} ${problem}`, { details: { key } });
    };
    if (init.kind !== 'serviceAccount' && init.kind !== 'projectSecret') fail('kind', 'is not a known kind');
    if (typeof init.secret !== 'string' || init.secret === '') fail('secret', 'is required');
    if (init.kind === 'serviceAccount') {
      if (init.username === undefined || init.username === '')
        fail('username', 'is required for a service account');
      if (init.projectId === undefined) fail('projectId', 'is required for a service account');
    }
    if (init.projectId !== undefined && !/^\d+$/.test(init.projectId))
      fail('projectId', 'must be digits only');
    if (init.workspaceId !== undefined && !/^\d+$/.test(init.workspaceId))
      fail('workspaceId', 'must be digits only');
    const region = init.region ?? 'us';
    if (!REGIONS.includes(region)) fail('region', `must be one of ${REGIONS.join(', ')}`);
    this.kind = init.kind;
    this.username = init.kind === 'serviceAccount' ? init.username : undefined;
    this.projectId = init.projectId;
    this.region = region;
    this.baseUrl = init.baseUrl === undefined ? undefined : normalizeBaseUrl(init.baseUrl, 'baseUrl');
    this.workspaceId = init.workspaceId;
    this.accountName = init.accountName;
    this.source = init.source ?? 'explicit';
    this.deprecationWarning = init.deprecationWarning;
    this.#secret = init.secret;
    Object.freeze(this);
  }

  /** The raw secret. Only for code that must send it; never log it. */
  get secret(): string {
    return this.#secret;
  }

  /**
   * The `Authorization` header value: Basic base64 of `username:secret` for a service account, or
   * of `secret:` (empty password) for a legacy project secret.
   */
  authorizationHeader(): string {
    const user = this.kind === 'serviceAccount' ? `${this.username}:${this.#secret}` : `${this.#secret}:`;
    return `Basic ${Buffer.from(user, 'utf8').toString('base64')}`;
  }

  /** A JSON-safe view with the secret masked. */
  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      accountName: this.accountName,
      username: this.username,
      secret: MASK,
      projectId: this.projectId,
      region: this.region,
      baseUrl: this.baseUrl,
      workspaceId: this.workspaceId,
      source: this.source,
    };
  }

  /** A one-line description with the secret masked. */
  toString(): string {
    const who = this.kind === 'serviceAccount' ? `user=${this.username}` : 'projectSecret';
    const account = this.accountName === undefined ? '' : ` account=${this.accountName}`;
    return `Credentials(${who}${account} project=${this.projectId ?? '-'} region=${this.region} secret=${MASK})`;
  }

  [inspect.custom](_depth: number, options: object): string {
    return `Credentials ${inspect(this.toJSON(), options)}`;
  }
}

/** Options for {@link resolveCredentials}. */
export interface ResolveCredentialsOptions extends ConfigOptions {
  /** Account to use (e.g. `--account`). Beats `MP_ACCOUNT`, `default_account` and env credentials. */
  account?: string;
  /** Base URL override (e.g. a CLI flag); beats `MP_API_BASE_URL` and the account's `api_base_url`. */
  baseUrl?: string;
  /** An already-loaded config, to avoid reading the file again. */
  config?: Config;
}

const SA_ENV_VARS = ['MP_USERNAME', 'MP_SECRET', 'MP_PROJECT_ID', 'MP_REGION'] as const;

const ENV_LEGACY_WARNING =
  'MP_API_SECRET authenticates with a project API secret, which Mixpanel deprecated and retires on ' +
  '3 March 2027. Create a service account and set MP_USERNAME, MP_SECRET, MP_PROJECT_ID and MP_REGION ' +
  "(or run 'mp auth add NAME').";

function accountLegacyWarning(name: string): string {
  return (
    `Account '${name}' authenticates with a project API secret (project_secret), which Mixpanel deprecated ` +
    `and retires on 3 March 2027. Create a service account and replace it with 'mp auth add ${name} --replace'.`
  );
}

/**
 * Finds the credentials to use, in this order:
 * 1. `opts.account`, when given (an explicit choice beats the environment, as for every other setting);
 * 2. `MP_USERNAME`, `MP_SECRET`, `MP_PROJECT_ID` and `MP_REGION`, when all four are set (some but not
 *    all of them is a {@link ConfigError} listing the missing ones);
 * 3. the legacy `MP_API_SECRET` (with optional `MP_PROJECT_ID`, `MP_REGION`), flagged with a
 *    `deprecationWarning`;
 * 4. the account named by `MP_ACCOUNT`, else `default_account`, else the only configured account.
 *
 * The base URL comes from `opts.baseUrl`, else `MP_API_BASE_URL`, else the account's `api_base_url`.
 * Env-var credentials do not read the config file at all, so a broken file cannot block CI runs
 * that pass everything through the environment.
 *
 * @throws AccountNotFoundError when a named account is not configured
 * @throws ConfigError when nothing or too much is configured, or a value is invalid
 */
export function resolveCredentials(opts: ResolveCredentialsOptions = {}): Credentials {
  const env = configEnv(opts);
  const envBase = envValue(env, 'MP_API_BASE_URL');
  const baseUrl =
    opts.baseUrl !== undefined
      ? normalizeBaseUrl(opts.baseUrl, 'baseUrl')
      : envBase !== undefined
        ? normalizeBaseUrl(envBase, 'MP_API_BASE_URL')
        : undefined;

  if (opts.account === undefined) {
    const fromEnv = credentialsFromEnv(env, baseUrl);
    if (fromEnv !== undefined) return fromEnv;
  }

  const config = opts.config ?? loadConfig(opts);
  const account = selectAccount(config, opts.account ?? envValue(env, 'MP_ACCOUNT'));
  return new Credentials({
    kind: account.kind,
    username: account.username,
    secret: account.secret,
    projectId: account.projectId,
    region: account.region,
    baseUrl: baseUrl ?? account.apiBaseUrl,
    workspaceId: account.workspaceId,
    accountName: account.name,
    source: 'config',
    deprecationWarning: account.kind === 'projectSecret' ? accountLegacyWarning(account.name) : undefined,
  });
}

function credentialsFromEnv(env: NodeJS.ProcessEnv, baseUrl: string | undefined): Credentials | undefined {
  const present = SA_ENV_VARS.filter((name) => envValue(env, name) !== undefined);
  const legacySecret = envValue(env, 'MP_API_SECRET');
  const region = (): Region => {
    const raw = envValue(env, 'MP_REGION');
    if (raw === undefined) return 'us';
    const r = raw.trim().toLowerCase();
    if (!(REGIONS as readonly string[]).includes(r)) {
      throw new ConfigError(`Invalid MP_REGION: expected one of ${REGIONS.join(', ')}, got '${raw}'`, {
        details: { key: 'MP_REGION', expected: REGIONS },
      });
    }
    return r as Region;
  };
  const projectId = (): string | undefined => {
    const raw = envValue(env, 'MP_PROJECT_ID')?.trim();
    if (raw !== undefined && !/^\d+$/.test(raw)) {
      throw new ConfigError(`Invalid MP_PROJECT_ID: expected a numeric project id, got '${raw}'`, {
        details: { key: 'MP_PROJECT_ID', expected: 'digits' },
      });
    }
    return raw;
  };

  if (present.length === SA_ENV_VARS.length) {
    return new Credentials({
      kind: 'serviceAccount',
      username: envValue(env, 'MP_USERNAME')!.trim(),
      secret: envValue(env, 'MP_SECRET')!,
      projectId: projectId(),
      region: region(),
      baseUrl,
      source: 'env',
    });
  }
  const hasServiceAccountPart =
    envValue(env, 'MP_USERNAME') !== undefined || envValue(env, 'MP_SECRET') !== undefined;
  if (legacySecret !== undefined && !hasServiceAccountPart) {
    return new Credentials({
      kind: 'projectSecret',
      secret: legacySecret,
      projectId: projectId(),
      region: region(),
      baseUrl,
      source: 'env',
      deprecationWarning: ENV_LEGACY_WARNING,
    });
  }
  if (present.length > 0) {
    const missing = SA_ENV_VARS.filter((name) => !present.includes(name));
    throw new ConfigError(
      `Incomplete service-account environment: ${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} set ` +
        `but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. Set all four, or unset them ` +
        'to use an account from the config file.',
      { details: { key: missing[0], missing, present } },
    );
  }
  return undefined;
}

function selectAccount(config: Config, requested: string | undefined): AccountConfig {
  const pick = (name: string): AccountConfig => {
    if (!Object.hasOwn(config.accounts, name)) throw new AccountNotFoundError(name);
    return config.accounts[name]!;
  };
  if (requested !== undefined) return pick(requested);
  if (config.defaultAccount !== undefined) return pick(config.defaultAccount);
  const names = Object.keys(config.accounts);
  if (names.length === 1) return pick(names[0]!);
  if (names.length === 0) {
    throw new ConfigError(
      "No Mixpanel credentials configured. Run 'mp auth add NAME', or set MP_USERNAME, MP_SECRET, " +
        'MP_PROJECT_ID and MP_REGION.',
      { details: { key: 'accounts', path: config.path } },
    );
  }
  throw new ConfigError(
    `Several accounts are configured (${names.join(', ')}) and none is selected. Pass --account NAME, ` +
      "set MP_ACCOUNT, or choose a default with 'mp auth default NAME'.",
    { details: { key: 'default_account', path: config.path, accounts: names } },
  );
}

/** Fields for {@link addAccount}, in camelCase; written as snake_case keys. */
export interface AccountFields {
  /** Service-account user name. */
  username?: string;
  /** Service-account secret. */
  secret?: string;
  /** Legacy project API secret (instead of username/secret). */
  projectSecret?: string;
  /** Project id (digits). */
  projectId?: string | number;
  /** Region (default `us`, which is then not written). */
  region?: Region;
  /** Base URL override. */
  apiBaseUrl?: string;
  /** Data-view workspace id. */
  workspaceId?: string | number;
}

/** Options for {@link addAccount}. */
export interface AddAccountOptions extends ConfigOptions {
  /** Replace an existing account of the same name instead of failing. */
  replace?: boolean;
  /** Also make it the `default_account`. */
  makeDefault?: boolean;
}

/** Throws {@link InvalidArgumentError} unless `name` is a valid account name. */
export function validateAccountName(name: string): void {
  if (!ACCOUNT_NAME_RE.test(name)) {
    throw new InvalidArgumentError(
      `Invalid account name ${JSON.stringify(name)}: use letters, digits, '_', '.' and '-', starting with a letter or digit`,
      { details: { account: name, pattern: ACCOUNT_NAME_RE.source } },
    );
  }
}

/** The raw (unexpanded) file table, for read-modify-write. */
function readRaw(file: string): TomlTable {
  return readConfigFile(file) ?? {};
}

function rawAccounts(raw: TomlTable, file: string, create: boolean): TomlTable | undefined {
  const accounts = raw.accounts;
  if (accounts === undefined) {
    if (!create) return undefined;
    const fresh: TomlTable = {};
    raw.accounts = fresh;
    return fresh;
  }
  if (typeof accounts !== 'object' || accounts === null || Array.isArray(accounts)) {
    throw new ConfigError(
      `Invalid config key 'accounts' in ${file}: expected a table of [accounts.NAME] tables`,
      {
        details: { key: 'accounts', path: file },
      },
    );
  }
  return accounts as TomlTable;
}

/**
 * Adds (or with `replace`, replaces) `[accounts.NAME]` and writes the file atomically with mode
 * 0600, keeping every other section. Values are stored literally: a `${` in a secret is escaped so
 * it is not mistaken for a variable reference when read back.
 *
 * @throws InvalidArgumentError for a bad name or an existing account without `replace`
 * @throws ConfigError for invalid fields (naming `accounts.NAME.field`)
 */
export function addAccount(
  name: string,
  fields: AccountFields,
  opts: AddAccountOptions = {},
): AccountSummary {
  validateAccountName(name);
  const file = resolveConfigPath(opts);
  const table: TomlTable = {};
  const put = (key: string, value: string | number | undefined): void => {
    if (value !== undefined) table[key] = String(value);
  };
  put('username', fields.username);
  put('secret', fields.secret);
  put('project_secret', fields.projectSecret);
  put('project_id', fields.projectId);
  if (fields.region !== undefined && fields.region !== 'us') put('region', fields.region);
  put('api_base_url', fields.apiBaseUrl);
  put('workspace_id', fields.workspaceId);
  // Validate exactly what will be stored, without env expansion: these are literal values.
  const account = parseAccount(name, table, { file, env: undefined });
  for (const [k, v] of Object.entries(table)) {
    if (typeof v === 'string') table[k] = escapeEnvRefs(k === 'api_base_url' ? (account.apiBaseUrl ?? v) : v);
  }

  const raw = readRaw(file);
  const accounts = rawAccounts(raw, file, true)!;
  if (Object.hasOwn(accounts, name) && opts.replace !== true) {
    throw new InvalidArgumentError(
      `Account '${name}' already exists in ${file}. Remove it first or pass replace (--replace).`,
      { details: { account: name, path: file } },
    );
  }
  accounts[name] = table;
  if (opts.makeDefault === true) raw.default_account = name;
  writeConfigFileAtomic(file, raw);
  return accountSummary(account, opts.makeDefault === true || raw.default_account === name);
}

/**
 * Removes `[accounts.NAME]` (and `default_account` if it pointed there), keeping everything else.
 *
 * @throws AccountNotFoundError when there is no such account
 */
export function removeAccount(name: string, opts: ConfigOptions = {}): void {
  const file = resolveConfigPath(opts);
  const raw = readRaw(file);
  const accounts = rawAccounts(raw, file, false);
  if (accounts === undefined || !Object.hasOwn(accounts, name)) throw new AccountNotFoundError(name);
  delete accounts[name];
  if (Object.keys(accounts).length === 0) delete raw.accounts;
  if (raw.default_account === name) delete raw.default_account;
  writeConfigFileAtomic(file, raw);
}

/**
 * Sets the top-level `default_account`.
 *
 * @throws AccountNotFoundError when there is no such account
 */
export function setDefaultAccount(name: string, opts: ConfigOptions = {}): void {
  const file = resolveConfigPath(opts);
  const raw = readRaw(file);
  const accounts = rawAccounts(raw, file, false);
  if (accounts === undefined || !Object.hasOwn(accounts, name)) throw new AccountNotFoundError(name);
  raw.default_account = name;
  writeConfigFileAtomic(file, raw);
}

/** Configured accounts with secrets masked, in file order (`mp auth list`). */
export function listAccounts(opts: ConfigOptions & { config?: Config } = {}): AccountSummary[] {
  const config = opts.config ?? loadConfig(opts);
  return Object.values(config.accounts).map((a) => accountSummary(a, a.name === config.defaultAccount));
}
