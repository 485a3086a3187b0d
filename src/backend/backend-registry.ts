import { BackendUnavailableError, InvalidArgumentError } from '../errors.js';
import type { BackendFactory, BackendName } from './backend.js';

/**
 * Backend name → lazy import of its folder, so a DuckDB user never loads `pg` or `better-sqlite3`.
 * This table is the only place that lists backends.
 */
const LOADERS: Readonly<Record<BackendName, () => Promise<BackendFactory>>> = {
  duckdb: async () => (await import('../backends/duckdb/index.js')).duckdbBackend,
  sqlite: async () => (await import('../backends/sqlite/index.js')).sqliteBackend,
  postgres: async () => (await import('../backends/postgres/index.js')).postgresBackend,
};

/** Names accepted by `StorageEngine.open({ backend })`. */
export const BACKEND_NAMES: readonly BackendName[] = Object.freeze(Object.keys(LOADERS) as BackendName[]);

/** True for a supported backend name. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && Object.hasOwn(LOADERS, value);
}

/** Loads a backend by name; a missing optional driver becomes {@link BackendUnavailableError}. */
export async function loadBackend(name: string): Promise<BackendFactory> {
  if (!isBackendName(name)) {
    throw new InvalidArgumentError(`Unknown backend '${name}'. Use one of: ${BACKEND_NAMES.join(', ')}.`, {
      details: { backend: name },
    });
  }
  try {
    return await LOADERS[name]();
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new BackendUnavailableError(name, `its driver is not installed (${driverHint(name)}).`, {
        cause: error,
      });
    }
    throw error;
  }
}

function isModuleNotFound(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND')
  );
}

function driverHint(name: BackendName): string {
  const hints: Record<BackendName, string> = {
    duckdb: 'npm install @duckdb/node-api',
    sqlite: 'npm install better-sqlite3',
    postgres: 'npm install pg pg-copy-streams',
  };
  return hints[name];
}
