import type { CliIo } from './cli-io.js';
import { type GlobalOptions, withWorkspace } from './global-options.js';
import { MixpanelDataError } from './library.js';

/** Settings read back from a running engine, and which database they came from. */
export interface ReadBack {
  /** `current_setting()` / `PRAGMA` / `SHOW` values by dotted config key, with their source. */
  readonly settings: readonly { readonly key: string; readonly value: string; readonly source: string }[];
  /** The backend that answered. */
  readonly backend: string;
  /** The database that was opened (a temporary one when the configured file does not exist yet). */
  readonly location: string;
  /** True when the configured database did not exist (or had no path yet) and a temporary one was used. */
  readonly temporary: boolean;
}

/**
 * Opens the configured backend read-only and reads its settings back, so users see what the engine
 * actually applied rather than what the file asked for. When there is no database yet (or no
 * project to name its file after), a throwaway database of the same backend answers instead.
 */
export async function readBackSettings(options: GlobalOptions, io: CliIo): Promise<ReadBack> {
  const read = (opts: GlobalOptions, temporary: boolean) =>
    withWorkspace(opts, io, 'read', async (ws) => {
      const storage = await ws.storage();
      return {
        settings: await storage.settings(),
        backend: storage.backend,
        location: storage.path,
        temporary,
      };
    });
  try {
    return await read(options, options.ephemeral === true);
  } catch (error) {
    const fallback =
      error instanceof MixpanelDataError &&
      (error.code === 'DATABASE_NOT_FOUND' ||
        (error.code === 'CONFIG_INVALID' && options.path === undefined));
    if (!fallback || options.ephemeral === true) throw error;
    const { path: _path, ...rest } = options;
    return read({ ...rest, ephemeral: true }, true);
  }
}
