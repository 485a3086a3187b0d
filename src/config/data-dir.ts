import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { CONFIG_DIR_MODE } from './config-file.js';
import { type ConfigOptions, configEnv, envValue, expandUserPath, mpHomeDir } from './paths.js';

/** The directory holding per-project databases: `$MP_DATA_DIR`, else `~/.mp/data`. Not created. */
export function dataDir(opts: ConfigOptions = {}): string {
  const fromEnv = envValue(configEnv(opts), 'MP_DATA_DIR');
  return fromEnv === undefined ? path.join(mpHomeDir(opts), 'data') : expandUserPath(fromEnv, opts);
}

/**
 * The default database file for a project, `{dataDir}/{projectId}.db`. Creates the data directory
 * (mode 0700: fetched events are user data) if needed. The id must be digits so it can never
 * escape the directory.
 *
 * @throws InvalidArgumentError for a non-numeric project id
 */
export function defaultDatabasePath(projectId: string, opts: ConfigOptions = {}): string {
  if (!/^\d+$/.test(projectId)) {
    throw new InvalidArgumentError(`Invalid project id ${JSON.stringify(projectId)}: expected digits only`, {
      details: { projectId },
    });
  }
  const dir = dataDir(opts);
  fs.mkdirSync(dir, { recursive: true, mode: CONFIG_DIR_MODE });
  return path.join(dir, `${projectId}.db`);
}
