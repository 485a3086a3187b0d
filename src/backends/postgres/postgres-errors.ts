import {
  AbortedError,
  BackendUnavailableError,
  DatabaseLockedError,
  DatabaseNotFoundError,
  MixpanelDataError,
  QueryError,
  ReadOnlyError,
} from '../../errors.js';

/** What the mapper needs to know about the failed operation. */
export interface ErrorContext {
  /** The SQL text (never the bound values). */
  readonly sql: string;
  /** `postgres://user@host:port/db (schema s)`: no password. */
  readonly location: string;
  /** What was being done, for ReadOnlyError/AbortedError: `run INSERT`, `append rows to "t"`. */
  readonly operation?: string;
  /** The caller's signal: a cancel we caused ourselves becomes {@link AbortedError}. */
  readonly signal?: AbortSignal;
}

/** The fields of a server error (pg's DatabaseError) that we read. */
interface ServerError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly position?: string;
  readonly where?: string;
}

/** Node socket errors that mean "no server there". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOENT',
]);

function isServerError(error: unknown): error is ServerError {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** The SQLSTATE of a server error, if `error` is one. */
export function sqlState(error: unknown): string | undefined {
  return isServerError(error) ? error.code : undefined;
}

/** True when `error` says the server could not be reached or the connection died. */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  if (
    typeof code === 'string' &&
    (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')
  ) {
    return true;
  }
  return /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error/i.test(
    error.message,
  );
}

/**
 * Data-exception messages (class 22) quote the offending value: `invalid input syntax for type
 * bigint: "abc"`. Row data must not reach messages, so quoted parts of those messages are elided.
 * Other classes quote identifiers (`relation "events" does not exist`), which are kept.
 */
function safeMessage(error: ServerError): string {
  const message = error.code.startsWith('22')
    ? error.message.replace(/"(?:[^"]|"")*"/g, '"…"')
    : error.message;
  const firstLine = message.split('\n', 1)[0] ?? message;
  return firstLine.length > 500 ? `${firstLine.slice(0, 500)}…` : firstLine;
}

/** `COPY t, line 5, column c: "value"` → `COPY t, line 5, column c` (the value is row data). */
function copyPosition(where: string | undefined): string | undefined {
  const match = where === undefined ? null : /^COPY [^\n]*?, line \d+(?:, column [^:\n]+)?/.exec(where);
  return match?.[0];
}

/** The first keyword of a statement (`INSERT`, `CREATE`...) for messages; never any value. */
export function statementKeyword(sql: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(sql);
  return match?.[1]?.toUpperCase() ?? 'statement';
}

/** A connection-level failure as {@link BackendUnavailableError}, naming the server, not the password. */
export function unavailable(error: unknown, location: string): BackendUnavailableError {
  const code = (error as { code?: unknown })?.code;
  const reason =
    typeof code === 'string' && UNREACHABLE.has(code)
      ? `cannot reach the PostgreSQL server at ${location} (${code}). Is it running and accepting TCP connections?`
      : `the connection to ${location} failed: ${error instanceof Error ? (error.message.split('\n', 1)[0] ?? '') : String(error)}`;
  return new BackendUnavailableError('postgres', reason, { cause: error, details: { location } });
}

/**
 * Maps an error raised by pg while running `context.sql` to our error classes:
 * - a cancel we requested (signal aborted, SQLSTATE 57014) → {@link AbortedError};
 * - 55P03 lock_not_available (lock_timeout, NOWAIT), 40P01 deadlock → {@link DatabaseLockedError};
 * - 25006 read_only_sql_transaction → {@link ReadOnlyError};
 * - 3D000 unknown database → {@link DatabaseNotFoundError};
 * - unreachable server, dead connection, authentication failure → {@link BackendUnavailableError};
 * - anything else → {@link QueryError} with the SQL text, the SQLSTATE and the server's message.
 */
export function mapPostgresError(error: unknown, context: ErrorContext): Error {
  if (error instanceof MixpanelDataError) return error;
  const { sql, location } = context;
  const operation = context.operation ?? `run ${statementKeyword(sql)}`;
  if (context.signal?.aborted) {
    return new AbortedError(operation.charAt(0).toUpperCase() + operation.slice(1), {
      cause: error,
      details: { query: sql },
    });
  }
  if (!isServerError(error)) {
    if (isConnectionFailure(error)) return unavailable(error, location);
    const message = error instanceof Error ? error.message : String(error);
    return new QueryError(`SQL statement failed: ${message.split('\n', 1)[0]}`, sql, { cause: error });
  }
  const code = error.code;
  switch (code) {
    case '55P03':
    case '40P01':
      return new DatabaseLockedError(location, undefined, {
        cause: error,
        details: { sqlState: code, query: sql },
      });
    case '25006':
      return new ReadOnlyError(operation, { cause: error, details: { sqlState: code, query: sql } });
    case '3D000':
      return new DatabaseNotFoundError(location, { cause: error, details: { sqlState: code } });
    case '28000':
    case '28P01':
    case '53300':
      return new BackendUnavailableError(
        'postgres',
        `the server at ${location} refused the connection: ${safeMessage(error)}`,
        {
          cause: error,
          details: { sqlState: code, location },
        },
      );
  }
  if (isConnectionFailure(error)) return unavailable(error, location);
  const hint = error.hint ? ` Hint: ${error.hint}` : '';
  const where = copyPosition(error.where);
  return new QueryError(
    `SQL statement failed (SQLSTATE ${code}): ${safeMessage(error)}${where ? ` (${where})` : ''}.${hint}`,
    sql,
    {
      cause: error,
      details: {
        sqlState: code,
        ...(error.position ? { position: Number(error.position) } : {}),
        ...(where ? { where } : {}),
      },
    },
  );
}
