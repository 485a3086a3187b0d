import type { BackendConnection } from '../backend/backend.js';
import { UnsupportedError } from '../errors.js';

/**
 * A Mixpanel export JSONL file (`{"event": …, "properties": {…}}` per line) handed to
 * `createEventsTable` / `appendEventsTable` instead of records. Backends that parse JSON natively
 * (capability `nativeMixpanelExport`: DuckDB) load it without a JavaScript parse per event; it
 * gets the same dedup, atomicity and metadata as any other source. Check
 * `storage.supportsMixpanelExportFiles` first: other backends refuse it.
 */
export class MixpanelExportFile {
  /** Path of the JSONL file (uncompressed). */
  readonly path: string;
  /** `properties.time` is in milliseconds (export requested with `time_in_ms`). */
  readonly timeInMs: boolean;

  constructor(path: string, options: { timeInMs?: boolean } = {}) {
    this.path = path;
    this.timeInMs = options.timeInMs ?? false;
  }
}

/** Whether `connection` loads Mixpanel export files natively (`stageMixpanelExport` behind its flag). */
export function canLoadExportFiles(connection: BackendConnection): boolean {
  return connection.capabilities.nativeMixpanelExport && connection.stageMixpanelExport !== undefined;
}

/** The error for a backend without a native JSON loader. */
export function exportFilesUnsupported(backend: string): UnsupportedError {
  return new UnsupportedError(
    `The ${backend} backend cannot load Mixpanel export files natively; pass the events as records instead.`,
  );
}
