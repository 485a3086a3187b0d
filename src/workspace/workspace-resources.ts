import { loadBackend } from '../backend/backend-registry.js';
import {
  type Config,
  Credentials,
  defaultDatabasePath,
  loadConfig,
  resolveCredentials,
} from '../config/index.js';
import { resolveBackend } from '../engine/backend-settings.js';
import { StorageEngine, type StorageOpenOptions } from '../engine/storage-engine.js';
import { ConfigError, DatabaseClosedError } from '../errors.js';
import { todayIn } from '../mixpanel/dates.js';
import { type MixpanelAuth, MixpanelClient, systemClock } from '../mixpanel/index.js';
import type { WorkspaceOptions } from './workspace-options.js';

/**
 * The lazily resolved parts of a workspace: configuration, credentials, the Mixpanel client and
 * the storage engine. Each is built on first use only, so a workspace used for discovery never
 * opens (or locks) the database, and one used for local SQL on an explicit path never needs
 * credentials.
 */
export class WorkspaceResources {
  readonly #options: WorkspaceOptions;
  #config: Config | undefined;
  #credentials: Credentials | undefined;
  #client: MixpanelClient | undefined;
  #storage: Promise<StorageEngine> | undefined;
  #closed = false;

  constructor(options: WorkspaceOptions) {
    this.#options = { ...options };
  }

  /** The configuration: the one given, else loaded (file + `env`) on first call. */
  config(): Config {
    this.#config ??= this.#options.config ?? loadConfig(this.#configOptions());
    return this.#config;
  }

  #configOptions(): { env?: NodeJS.ProcessEnv } {
    return this.#options.env === undefined ? {} : { env: this.#options.env };
  }

  /**
   * The credentials: the ones given, else resolved from the account, environment and config file
   * (`resolveCredentials`), with the `projectId` and `region` options applied on top.
   *
   * @throws ConfigError or AccountNotFoundError when nothing usable is configured
   */
  credentials(): Credentials {
    if (this.#credentials !== undefined) return this.#credentials;
    const o = this.#options;
    const base =
      o.credentials ??
      resolveCredentials({
        ...this.#configOptions(),
        ...(o.account === undefined ? {} : { account: o.account }),
        ...(o.baseUrl === undefined ? {} : { baseUrl: o.baseUrl }),
        ...(o.config === undefined ? {} : { config: o.config }),
      });
    this.#credentials =
      o.projectId === undefined && o.region === undefined
        ? base
        : new Credentials({
            kind: base.kind,
            ...(base.username === undefined ? {} : { username: base.username }),
            secret: base.secret,
            ...((o.projectId ?? base.projectId) === undefined
              ? {}
              : { projectId: o.projectId ?? base.projectId }),
            region: o.region ?? base.region,
            ...(base.baseUrl === undefined ? {} : { baseUrl: base.baseUrl }),
            ...(base.workspaceId === undefined ? {} : { workspaceId: base.workspaceId }),
            ...(base.accountName === undefined ? {} : { accountName: base.accountName }),
            source: base.source,
            ...(base.deprecationWarning === undefined ? {} : { deprecationWarning: base.deprecationWarning }),
          });
    return this.#credentials;
  }

  /** The Mixpanel client: the one given, else built from {@link credentials} on first call. */
  client(): MixpanelClient {
    if (this.#client !== undefined) return this.#client;
    if (this.#options.client !== undefined) {
      this.#client = this.#options.client;
      return this.#client;
    }
    const c = this.credentials();
    const auth: MixpanelAuth =
      c.kind === 'serviceAccount'
        ? {
            kind: 'serviceAccount',
            username: c.username ?? '',
            secret: c.secret,
            projectId: c.projectId ?? '',
          }
        : {
            kind: 'projectSecret',
            secret: c.secret,
            ...(c.projectId === undefined ? {} : { projectId: c.projectId }),
          };
    this.#client = new MixpanelClient({
      ...this.#options.clientOptions,
      auth,
      region: c.region,
      ...(c.baseUrl === undefined ? {} : { baseUrl: c.baseUrl }),
      ...(c.workspaceId === undefined ? {} : { workspaceId: c.workspaceId }),
    });
    return this.#client;
  }

  /**
   * Today's project day by the clock the client waits on (UTC, or the `projectTimezone` given in
   * `clientOptions`). Used to clamp ranges before they are split into requests.
   */
  today(): string {
    const clock =
      this.#options.client === undefined ? (this.#options.clientOptions?.clock ?? systemClock) : systemClock;
    return todayIn(clock.now(), this.#options.clientOptions?.projectTimezone);
  }

  /** Whether the storage engine has been opened (or is being opened). */
  get storageOpened(): boolean {
    return this.#storage !== undefined;
  }

  /**
   * The storage engine, opened on first call: in memory, ephemeral, or the file at `path` (default
   * `~/.mp/data/{projectId}.db` for file-based backends), read-only when asked.
   *
   * @throws DatabaseClosedError after {@link close}
   */
  storage(): Promise<StorageEngine> {
    if (this.#closed) return Promise.reject(new DatabaseClosedError());
    if (this.#storage === undefined) {
      const opening = this.#open();
      // A failed open (a lock held elsewhere, a bad setting) may be retried by a later call.
      this.#storage = opening.catch((error: unknown) => {
        this.#storage = undefined;
        throw error;
      });
    }
    return this.#storage;
  }

  async #open(): Promise<StorageEngine> {
    const o = this.#options;
    const config = this.config();
    const common: StorageOpenOptions = {
      config,
      ...(o.backend === undefined ? {} : { backend: o.backend }),
      ...(o.settings === undefined ? {} : { settings: o.settings }),
      ...(o.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: o.lockTimeoutMs }),
    };
    if (o.inMemory) return StorageEngine.inMemory(common);
    if (o.ephemeral) return StorageEngine.ephemeral(common);
    let path = o.path;
    if (path === undefined) {
      const { backend } = resolveBackend(o.backend, {}, config);
      if ((await loadBackend(backend)).capabilities.fileBased)
        path = defaultDatabasePath(this.#projectId(), this.#configOptions());
    }
    return StorageEngine.open({
      ...common,
      ...(path === undefined ? {} : { path }),
      readOnly: o.readOnly ?? false,
    });
  }

  #projectId(): string {
    const projectId = this.#options.projectId ?? this.credentials().projectId;
    if (projectId === undefined) {
      throw new ConfigError(
        'No project id to name the default database file: pass a path, or a project id (MP_PROJECT_ID, --project).',
        { details: { key: 'project_id' } },
      );
    }
    return projectId;
  }

  /** Closes the storage engine if it was opened; idempotent. Later `storage()` calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#storage;
    this.#storage = undefined;
    if (opening === undefined) return;
    const storage = await opening.catch(() => undefined);
    await storage?.close();
  }
}
