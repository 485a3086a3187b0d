import type { CliIo } from '../cli-io.js';
import { defined, signalOf } from '../defined.js';
import { formatOf, type GlobalOptions, withWorkspace } from '../global-options.js';
import {
  AccountNotFoundError,
  addAccount,
  InvalidArgumentError,
  listAccounts,
  type Region,
  removeAccount,
  resolveCredentials,
  setDefaultAccount,
} from '../library.js';
import { printData, printRecord, printSummary } from '../output.js';
import { promptHidden, readStdin } from '../prompt.js';

/** `mp auth list`: configured accounts, secrets masked. */
export async function authList(options: GlobalOptions, io: CliIo): Promise<void> {
  const accounts = listAccounts({ env: io.env });
  if (accounts.length === 0) {
    printSummary(io, options.quiet, "No accounts configured. Add one with 'mp auth add NAME'.");
  }
  await printData(io, formatOf(options), accounts);
}

/** `mp auth add NAME`. */
export interface AuthAddOptions extends GlobalOptions {
  readonly name: string;
  /** Service-account user name (omit with `projectSecret`). */
  readonly username?: string;
  readonly projectId?: string;
  readonly region?: Region;
  readonly apiBaseUrl?: string;
  readonly workspaceId?: string;
  /** The secret is a legacy project API secret, not a service-account secret. */
  readonly projectSecret?: boolean;
  /** Also make it the default account. */
  readonly default?: boolean;
  /** Overwrite an account of the same name. */
  readonly replace?: boolean;
}

/**
 * Adds an account to the config file (mode 0600). The secret never comes from a flag (it would land
 * in shell history): it is read from stdin when piped, else from `MP_SECRET` (`MP_API_SECRET` for a
 * project secret), else from a prompt that does not echo.
 */
export async function authAdd(options: AuthAddOptions, io: CliIo): Promise<void> {
  const legacy = options.projectSecret === true;
  if (legacy && options.username !== undefined) {
    throw new InvalidArgumentError('--project-secret accounts have no --username: drop one of them.');
  }
  if (!legacy && options.username === undefined) {
    throw new InvalidArgumentError(
      'A service account needs --username (or pass --project-secret for a legacy secret).',
    );
  }
  const secret = await readSecret(io, legacy ? 'MP_API_SECRET' : 'MP_SECRET');
  const summary = addAccount(
    options.name,
    {
      ...(legacy ? { projectSecret: secret } : { secret }),
      ...defined({
        username: options.username,
        projectId: options.projectId,
        region: options.region,
        apiBaseUrl: options.apiBaseUrl,
        workspaceId: options.workspaceId,
      }),
    },
    { env: io.env, replace: options.replace === true, makeDefault: options.default === true },
  );
  await printRecord(io, formatOf(options), { ...summary });
  printSummary(io, options.quiet, `Saved account '${summary.name}'${summary.isDefault ? ' (default)' : ''}.`);
}

/** `mp auth remove NAME`. */
export async function authRemove(
  options: GlobalOptions & { readonly name: string },
  io: CliIo,
): Promise<void> {
  removeAccount(options.name, { env: io.env });
  await printRecord(io, formatOf(options), { removed: options.name });
}

/** `mp auth switch NAME`: makes NAME the default account. */
export async function authSwitch(
  options: GlobalOptions & { readonly name: string },
  io: CliIo,
): Promise<void> {
  setDefaultAccount(options.name, { env: io.env });
  await printRecord(io, formatOf(options), { defaultAccount: options.name });
}

/**
 * `mp auth show [NAME]`: one configured account, or (without NAME) the credentials every command
 * would use right now and where they come from. Secrets are always masked.
 */
export async function authShow(
  options: GlobalOptions & { readonly name?: string },
  io: CliIo,
): Promise<void> {
  if (options.name !== undefined) {
    const account = listAccounts({ env: io.env }).find((a) => a.name === options.name);
    if (account === undefined) throw new AccountNotFoundError(options.name);
    await printRecord(io, formatOf(options), { ...account });
    return;
  }
  const credentials = resolveCredentials({ env: io.env, ...defined({ account: options.account }) });
  await printRecord(io, formatOf(options), credentials.toJSON());
  if (credentials.deprecationWarning !== undefined)
    printSummary(io, options.quiet, credentials.deprecationWarning);
}

/**
 * `mp auth test [NAME]`: one cheap discovery call with the account (or the current credentials).
 * Bad credentials exit with 2, an unreachable host or wrong region with 1.
 */
export async function authTest(
  options: GlobalOptions & { readonly name?: string },
  io: CliIo,
): Promise<void> {
  const account = options.name ?? options.account;
  const credentials = resolveCredentials({ env: io.env, ...defined({ account }) });
  const names = await withWorkspace({ ...options, ...defined({ account }) }, io, 'read', (ws) =>
    ws.events({ limit: 1, ...signalOf(io.signal) }),
  );
  await printRecord(io, formatOf(options), {
    status: 'ok',
    account: credentials.accountName ?? `(${credentials.source})`,
    kind: credentials.kind,
    username: credentials.username,
    projectId: credentials.projectId,
    region: credentials.region,
    baseUrl: credentials.baseUrl,
    eventsVisible: names.length > 0,
  });
  printSummary(io, options.quiet, 'Authenticated: Mixpanel accepted the credentials.');
}

async function readSecret(io: CliIo, envName: string): Promise<string> {
  if (io.stdinIsTTY !== true && io.stdin !== undefined) {
    const piped = (await readStdin(io)).replace(/\r?\n$/, '');
    if (piped !== '') return piped;
  }
  const fromEnv = io.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (io.stdinIsTTY === true) {
    const typed = await promptHidden(io, 'Secret (not shown): ');
    if (typed !== '') return typed;
  }
  throw new InvalidArgumentError(
    `No secret given: pipe it on stdin, set ${envName}, or run in a terminal to be prompted (secrets are never flags).`,
  );
}
