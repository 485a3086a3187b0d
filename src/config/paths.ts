import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where configuration comes from. Every config function takes these so tests (and embedders) can
 * point at a throwaway home and environment instead of the real ones.
 */
export interface ConfigOptions {
  /** Environment to read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Home directory holding `.mp/`; defaults to `os.homedir()`. */
  homeDir?: string;
  /** Explicit config file path; beats `MP_CONFIG_PATH` and `~/.mp/config.toml`. */
  configPath?: string;
}

/**
 * The environment to read. `process.env` is touched only in `src/config/`, so the rest of the
 * library stays testable without global stubs.
 */
export function configEnv(opts: ConfigOptions = {}): NodeJS.ProcessEnv {
  return opts.env ?? process.env;
}

/**
 * Reads one environment variable, treating an empty value as unset: `MP_SECRET=` in a shell or
 * a CI template that rendered nothing should not count as a deliberate empty secret.
 */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The `~/.mp` directory (under `opts.homeDir` when given). */
export function mpHomeDir(opts: ConfigOptions = {}): string {
  return path.join(opts.homeDir ?? os.homedir(), '.mp');
}

/**
 * Makes a user-supplied path absolute. A leading `~/` is expanded because values set in quotes
 * (`MP_DATA_DIR="~/data"`) or by service managers never go through shell tilde expansion.
 */
export function expandUserPath(p: string, opts: ConfigOptions = {}): string {
  const home = opts.homeDir ?? os.homedir();
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith(`~${path.sep}`)) return path.join(home, p.slice(2));
  return path.resolve(p);
}

/** The config file in effect: `opts.configPath`, else `$MP_CONFIG_PATH`, else `~/.mp/config.toml`. */
export function resolveConfigPath(opts: ConfigOptions = {}): string {
  if (opts.configPath !== undefined) return expandUserPath(opts.configPath, opts);
  const fromEnv = envValue(configEnv(opts), 'MP_CONFIG_PATH');
  if (fromEnv !== undefined) return expandUserPath(fromEnv, opts);
  return path.join(mpHomeDir(opts), 'config.toml');
}
