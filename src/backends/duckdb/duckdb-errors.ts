import {
  AbortedError,
  DatabaseLockedError,
  MixpanelDataError,
  QueryError,
  ReadOnlyError,
} from '../../errors.js';

/** DuckDB's lock conflict text: `Could not set lock on file "…": Conflicting lock is held in … (PID 123)`. */
export function isLockConflict(error: unknown): boolean {
  return error instanceof Error && /Could not set lock on file|Conflicting lock is held/i.test(error.message);
}

/** The PID DuckDB names as the lock holder, when it names one. */
export function lockHolderPid(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const match = /PID (\d+)/.exec(error.message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Maps a native DuckDB error raised while running `sql` to our error classes. */
export function mapDuckDbError(error: unknown, sql: string, location: string, signal?: AbortSignal): Error {
  if (error instanceof MixpanelDataError) return error;
  if (signal?.aborted) return new AbortedError('Query', { cause: error, details: { query: sql } });
  const message = error instanceof Error ? error.message : String(error);
  if (/INTERRUPT Error|Interrupted/i.test(message)) {
    return new AbortedError('Query', { cause: error, details: { query: sql } });
  }
  if (isLockConflict(error)) return new DatabaseLockedError(location, lockHolderPid(error), { cause: error });
  if (/read-only mode|read only mode|attached in read-only/i.test(message)) {
    return new ReadOnlyError('run a write statement', { cause: error, details: { query: sql } });
  }
  return new QueryError(`SQL query failed: ${firstLine(message)}`, sql, { cause: error });
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? text;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
