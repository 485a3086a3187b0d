import type { BackendConnection } from '../backend/backend.js';
import { DatabaseClosedError, InvalidArgumentError, UnsupportedError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';
import { canLoadExportFiles, type MixpanelExportFile } from './mixpanel-export-file.js';
import { createTableSql, deleteStagingLosersSql } from './statements.js';
import { internalTableName } from './table-name.js';
import { EVENT_KEY, EVENT_STAGING_COLUMNS } from './table-schemas.js';

/**
 * A Mixpanel export file already parsed, transformed and deduplicated into a private staging table,
 * outside any write transaction (`StorageEngine.prepareExportFile`). A fetch prepares one chunk
 * while the previous one is being written, so the two use a core each. Pass it ONCE to
 * `createEventsTable` / `appendEventsTable` in place of the file: the write then only moves the
 * staged rows into place, in one transaction as always. Release it afterwards (`await using`
 * works); the staged rows live in memory (spilling to the temp directory under the memory limit).
 */
export class PreparedExportFile implements AsyncDisposable {
  #taken = false;
  #released: Promise<void> | undefined;

  /** Internal: built by `prepareExportFile`. */
  constructor(
    /** The staging table (internal name, readable from write transactions by name). */
    readonly staging: string,
    /** Events read from the file. */
    readonly staged: number,
    /** Losing copies of duplicate groups within the file, already removed. */
    readonly duplicates: number,
    private readonly drop: () => Promise<void>,
    private readonly owner: BackendConnection,
  ) {}

  /**
   * Hands the staged rows to one write on `connection`; a second use, a use after release, or a
   * use by another storage engine (which cannot see the staged rows) is refused.
   */
  take(connection: BackendConnection): void {
    if (connection !== this.owner) {
      throw new InvalidArgumentError(
        'This export file was prepared by another storage engine; write it through the engine that prepared it.',
      );
    }
    if (this.#taken || this.#released) {
      throw new InvalidArgumentError(
        'A prepared export file can be written once, before it is released; prepare the file again.',
      );
    }
    this.#taken = true;
  }

  /** Drops the staged rows. Idempotent; call it when the write is done or given up. */
  release(): Promise<void> {
    this.#released ??= this.drop();
    return this.#released;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** Whether the backend can prepare export files aside (and load them natively at all). */
export function canPrepareExportFiles(connection: BackendConnection): boolean {
  return (
    canLoadExportFiles(connection) &&
    connection.capabilities.preparesAside &&
    connection.prepareAside !== undefined
  );
}

/**
 * Stages `file` aside: the same load and in-file dedup as a write's staging step
 * (`stage` in table-loading.ts), run on the backend's aside session. A failure (a bad record, an
 * abort) drops what was staged and rejects with the error the write would have raised.
 */
export async function prepareExportFile(
  connection: BackendConnection,
  file: MixpanelExportFile,
  options: { readonly signal?: AbortSignal } = {},
): Promise<PreparedExportFile> {
  if (!canPrepareExportFiles(connection)) {
    throw new UnsupportedError(`The ${connection.name} backend cannot prepare Mixpanel export files.`);
  }
  throwIfAborted(options.signal, 'Ingestion');
  const { dialect } = connection;
  const staging = internalTableName('stage');
  const drop = async (): Promise<void> => {
    try {
      await connection.prepareAside!((session) =>
        session.run(`DROP TABLE IF EXISTS ${dialect.quoteIdentifier(staging)}`),
      );
    } catch (error) {
      // Closed: the scratch database went with the connection's instance (or goes with the process).
      if (!(error instanceof DatabaseClosedError)) throw error;
    }
  };
  try {
    return await connection.prepareAside!(async (session) => {
      await session.run(createTableSql(dialect, staging, EVENT_STAGING_COLUMNS));
      const staged = await connection.stageMixpanelExport!(session, staging, file.path, {
        timeInMs: file.timeInMs,
      });
      const duplicates = await session.run(deleteStagingLosersSql(dialect, staging, EVENT_KEY, '_proc'));
      return new PreparedExportFile(staging, staged, duplicates, drop, connection);
    }, options);
  } catch (error) {
    await drop().catch(() => undefined);
    throwIfAborted(options.signal, 'Ingestion'); // an interrupted statement reports the abort
    throw error;
  }
}
