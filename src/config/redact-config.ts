import type { AppliedBy, ConfigSource, ConfigValue } from './config-keys.js';
import type { AccountConfig, AccountKind, Config, Region } from './load-config.js';

/** What every secret is shown as. Fixed length so the mask leaks nothing, not even the length. */
export const MASK = '****';

const PG_URL_RE = /^postgres(ql)?:\/\//i;

/**
 * Display form of a configuration value. Non-secrets are stringified; secrets become {@link MASK},
 * except a postgres:// URL, where only the password is masked so the host and database stay
 * visible for troubleshooting. `undefined` (unset) stays `undefined`.
 */
export function redact(value: ConfigValue | undefined, secret: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (!secret) return String(value);
  if (typeof value === 'string' && PG_URL_RE.test(value)) return redactPostgresUrl(value);
  return MASK;
}

/**
 * Masks the password of a postgres:// URL, both `user:password@` and a `password=` parameter.
 * An unparsable URL is masked entirely, because we cannot tell where its password is.
 */
export function redactPostgresUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return MASK;
  }
  if (url.password !== '') url.password = MASK;
  if (url.searchParams.has('password')) url.searchParams.set('password', MASK);
  // URL setters percent-encode the mask; show it the way users expect to read it.
  return url.toString().replaceAll('%2A%2A%2A%2A', MASK).replaceAll('%2a%2a%2a%2a', MASK);
}

/** One row of `mp config show`: a key with its display-safe value. */
export interface RedactedEntry {
  /** Dotted key. */
  readonly key: string;
  /** The value, typed as configured; secrets are replaced by their masked string. `undefined` when unset. */
  readonly value: ConfigValue | undefined;
  /** Which layer set it. */
  readonly source: ConfigSource;
  /** Whether the value is a secret. */
  readonly secret: boolean;
  /** Component that applies it. */
  readonly appliedBy: AppliedBy;
  /** Environment variable for the key. */
  readonly env: string;
}

/** Every configuration key with its masked value, ready for `mp config show` (table or JSON). */
export function redactedEntries(config: Pick<Config, 'entries'>): RedactedEntry[] {
  return config.entries().map((e) => ({
    key: e.key,
    // Non-secrets keep their type so `mp config show --format json` prints numbers as numbers.
    value: e.secret ? redact(e.value, true) : e.value,
    source: e.source,
    secret: e.secret,
    appliedBy: e.appliedBy,
    env: e.env,
  }));
}

/** A display-safe account listing entry (`mp auth list`). */
export interface AccountSummary {
  /** Account name. */
  readonly name: string;
  /** Credential kind. */
  readonly kind: AccountKind;
  /** Service-account user name, if any. */
  readonly username: string | undefined;
  /** Always {@link MASK}. */
  readonly secret: string;
  /** Project id, if any. */
  readonly projectId: string | undefined;
  /** Region. */
  readonly region: Region;
  /** Base URL override, if any. */
  readonly apiBaseUrl: string | undefined;
  /** Workspace id, if any. */
  readonly workspaceId: string | undefined;
  /** True for the `default_account`. */
  readonly isDefault: boolean;
}

/** The display-safe summary of an account. */
export function accountSummary(account: AccountConfig, isDefault: boolean): AccountSummary {
  return {
    name: account.name,
    kind: account.kind,
    username: account.username,
    secret: MASK,
    projectId: account.projectId,
    region: account.region,
    apiBaseUrl: account.apiBaseUrl,
    workspaceId: account.workspaceId,
    isDefault,
  };
}
