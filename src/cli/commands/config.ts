import type { CliIo } from '../cli-io.js';
import { defined } from '../defined.js';
import { formatOf, type GlobalOptions } from '../global-options.js';
import { loadConfig, redactedEntries } from '../library.js';
import { printData, printSummary } from '../output.js';
import { type ReadBack, readBackSettings } from '../read-back-settings.js';

/** `mp config show`. */
export interface ConfigShowOptions extends GlobalOptions {
  /** Also open the backend and show the value each setting has inside the running engine. */
  readonly effective?: boolean;
}

/**
 * Every configuration key with its value and where the value came from (default, file, env,
 * option), secrets masked. `--effective` adds the value read back from the engine.
 */
export async function configShow(options: ConfigShowOptions, io: CliIo): Promise<void> {
  const config = loadConfig({
    env: io.env,
    overrides: defined({ 'database.default_backend': options.backend }),
  });
  const rows: Record<string, unknown>[] = redactedEntries(config).map((e) => ({
    key: e.key,
    value: e.value ?? null,
    source: e.source,
    env: e.env,
    appliedBy: e.appliedBy,
  }));
  if (config.defaultAccount !== undefined) {
    rows.push({
      key: 'default_account',
      value: config.defaultAccount,
      source: 'file',
      env: 'MP_ACCOUNT',
      appliedBy: 'credentials',
    });
  }
  let readBack: ReadBack | undefined;
  if (options.effective === true) {
    readBack = await readBackSettings(options, io);
    const byKey = new Map(readBack.settings.map((s) => [s.key, s]));
    for (const row of rows) row.effective = byKey.get(String(row.key))?.value ?? null;
    for (const s of readBack.settings) {
      if (!rows.some((r) => r.key === s.key)) {
        rows.push({
          key: s.key,
          value: null,
          source: s.source,
          env: null,
          appliedBy: readBack.backend,
          effective: s.value,
        });
      }
    }
  }
  await printData(io, formatOf(options), rows);
  printSummary(
    io,
    options.quiet,
    `Config file: ${config.path}${config.fileExists ? '' : ' (not created yet)'}.`,
  );
  if (readBack !== undefined) {
    printSummary(
      io,
      options.quiet,
      `Effective values read back from ${readBack.backend} at ${readBack.location}` +
        (readBack.temporary ? ' (a temporary database: the configured one does not exist yet).' : '.'),
    );
  }
}
