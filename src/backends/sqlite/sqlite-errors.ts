import { DatabaseLockedError, MixpanelDataError, QueryError, ReadOnlyError } from '../../errors.js';

/** Where a driver error happened, for the message; never parameter values. */
export interface SqliteErrorContext {
  /** The database path (or `:memory:`). */
  readonly location: string;
  /** The SQL text, when a statement failed. */
  readonly sql?: string;
  /** What we were doing, e.g. `query`, `open`, `append rows to 'events'`. */
  readonly operation: string;
}

/** better-sqlite3's `SqliteError` carries the extended result code name (`SQLITE_BUSY_SNAPSHOT`). */
function sqliteCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/** True for SQLITE_BUSY / SQLITE_LOCKED and their extended codes. */
export function isLockError(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code);
}

/** Better-sqlite3 refuses a write while an iterator is open on the same connection. */
const BUSY_ITERATING = 'This database connection is busy executing a query';

/**
 * Maps a better-sqlite3 error to our error classes. Our own errors pass through unchanged. SQLite
 * messages name tables, columns and constraints, never bound values, so they are kept.
 */
export function mapSqliteError(error: unknown, context: SqliteErrorContext): MixpanelDataError {
  if (error instanceof MixpanelDataError) return error;
  const code = sqliteCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (isLockError(error)) {
    return new DatabaseLockedError(context.location, undefined, {
      cause: error,
      details: {
        sqliteCode: code,
        // SQLite's locks are plain file locks: the engine cannot tell which process holds them.
        lockHolder: 'unknown (SQLite does not report the process holding a lock)',
        ...(context.sql === undefined ? {} : { query: context.sql }),
      },
    });
  }
  if (code?.startsWith('SQLITE_READONLY')) {
    return new ReadOnlyError(
      context.sql === undefined ? context.operation : `run ${leadingKeyword(context.sql)}`,
      {
        cause: error,
        details: {
          sqliteCode: code,
          path: context.location,
          ...(context.sql === undefined ? {} : { query: context.sql }),
        },
      },
    );
  }
  const hint =
    message === BUSY_ITERATING
      ? ' (a stream() on this connection is still open: finish or break out of it before writing)'
      : '';
  return new QueryError(`SQLite ${context.operation} failed: ${message}${hint}`, context.sql ?? '', {
    cause: error,
    details: { location: context.location, ...(code === undefined ? {} : { sqliteCode: code }) },
  });
}

/** The first keyword of a statement (`INSERT`, `CREATE`), for "Cannot run INSERT" messages. */
function leadingKeyword(sql: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(sql);
  return match?.[1]?.toUpperCase() ?? 'statement';
}
