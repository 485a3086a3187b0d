import type { BackendConnection, BackendFileIo } from '../backend/backend.js';
import { BACKEND_NAMES, loadBackend } from '../backend/backend-registry.js';
import { BackendUnavailableError, MixpanelDataError } from '../errors.js';

/**
 * A native file reader/writer for shared code: the database's own when its backend has the
 * `nativeFileIo` capability, otherwise a throwaway in-memory database of the first backend that has
 * it (found by capability, not by name), closed when `work` ends.
 */
export async function withNativeFileIo<T>(
  source: BackendConnection | null,
  work: (fileIo: BackendFileIo) => Promise<T>,
): Promise<T> {
  if (source?.capabilities.nativeFileIo && source.fileIo) return work(source.fileIo);
  const helper = await openHelper();
  try {
    return await work(helper.fileIo!);
  } finally {
    await helper.close();
  }
}

async function openHelper(): Promise<BackendConnection> {
  for (const name of BACKEND_NAMES) {
    let factory: Awaited<ReturnType<typeof loadBackend>>;
    try {
      factory = await loadBackend(name);
    } catch (error) {
      if (error instanceof MixpanelDataError) continue; // driver not installed
      throw error;
    }
    if (!factory.capabilities.nativeFileIo || !factory.capabilities.inMemory) continue;
    const connection = await factory.open({ mode: 'memory', readOnly: false, settings: {} });
    if (connection.fileIo) return connection;
    await connection.close();
  }
  throw new BackendUnavailableError(
    'file',
    'no installed backend reads and writes Parquet files (install @duckdb/node-api).',
  );
}
