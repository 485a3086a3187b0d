/**
 * Every error the library throws extends {@link MixpanelDataError}: callers can catch by class or
 * branch on the stable `code`. Messages name the operation and the object (table, path, config key,
 * endpoint) and never carry secrets, parameter values or row data.
 */

/** Stable machine-readable error codes. Adding one is fine; renaming one is a breaking change. */
export type ErrorCode =
  | 'INTERNAL'
  | 'INVALID_ARGUMENT'
  | 'INVALID_RECORD'
  | 'ABORTED'
  | 'TABLE_EXISTS'
  | 'TABLE_NOT_FOUND'
  | 'QUERY_FAILED'
  | 'DATABASE_LOCKED'
  | 'DATABASE_NOT_FOUND'
  | 'DATABASE_CLOSED'
  | 'READ_ONLY'
  | 'BACKEND_UNAVAILABLE'
  | 'UNSUPPORTED'
  | 'CONFIG_INVALID'
  | 'ACCOUNT_NOT_FOUND'
  | 'FILE_NOT_FOUND'
  | 'AUTHENTICATION_FAILED'
  | 'API_RATE_LIMITED'
  | 'API_ERROR';

/** Options shared by every error constructor. */
export interface ErrorOptions {
  /** Structured, secret-free context (table name, query text, path...). */
  details?: Record<string, unknown>;
  /** The underlying error, kept for debugging. */
  cause?: unknown;
}

/** Root of every error thrown by mixpanel-data. */
export class MixpanelDataError extends Error {
  /** Stable code; see {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** Structured context that never contains secrets or row data. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** A JSON-safe view (bigints become strings); used by `mp --format json` for errors. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      details: jsonSafe(this.details),
    };
  }
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/** A caller passed something invalid (bad table name, bad option combination...). */
export class InvalidArgumentError extends MixpanelDataError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** A record in an ingestion source is malformed. `details` names its position and field. */
export class InvalidRecordError extends MixpanelDataError {
  /** 1-based position of the record in its source. */
  readonly position: number;
  /** The offending field, e.g. `event_time`. */
  readonly field: string;
  constructor(position: number, field: string, problem: string, options: ErrorOptions = {}) {
    super('INVALID_RECORD', `Record #${position}: field '${field}' ${problem}`, {
      ...options,
      details: { ...options.details, position, field },
    });
    this.position = position;
    this.field = field;
  }
}

/** Work was cancelled through an AbortSignal (or Ctrl-C in the CLI). */
export class AbortedError extends MixpanelDataError {
  constructor(operation: string, options: ErrorOptions = {}) {
    super('ABORTED', `${operation} was aborted`, options);
  }
}

/** `create*Table` on a name that already exists. */
export class TableExistsError extends MixpanelDataError {
  readonly tableName: string;
  constructor(tableName: string, options: ErrorOptions = {}) {
    super(
      'TABLE_EXISTS',
      `Table '${tableName}' already exists. Drop it first, append to it, or pass { replace: true }.`,
      { ...options, details: { ...options.details, table: tableName } },
    );
    this.tableName = tableName;
  }
}

/** A table that was asked for does not exist. */
export class TableNotFoundError extends MixpanelDataError {
  readonly tableName: string;
  constructor(tableName: string, options: ErrorOptions = {}) {
    super('TABLE_NOT_FOUND', `Table '${tableName}' does not exist.`, {
      ...options,
      details: { ...options.details, table: tableName },
    });
    this.tableName = tableName;
  }
}

/** A SQL statement failed. `details.query` carries the SQL text (never the bound values). */
export class QueryError extends MixpanelDataError {
  readonly query: string;
  constructor(message: string, query: string, options: ErrorOptions = {}) {
    super('QUERY_FAILED', message, { ...options, details: { ...options.details, query } });
    this.query = query;
  }
}

/** Another process holds a conflicting lock on the database. */
export class DatabaseLockedError extends MixpanelDataError {
  readonly path: string;
  /** PID of the process holding the lock, when the engine reports it. */
  readonly holderPid: number | undefined;
  constructor(path: string, holderPid?: number, options: ErrorOptions = {}) {
    const holder = holderPid === undefined ? '' : ` by process ${holderPid}`;
    super(
      'DATABASE_LOCKED',
      `Database locked${holder}: ${path}\nAnother mp command may be running. Wait for it to finish, ` +
        'retry with a lock timeout (--wait SECONDS), or use a different --path.',
      { ...options, details: { ...options.details, path, holderPid } },
    );
    this.path = path;
    this.holderPid = holderPid;
  }
}

/** A read-only open of a database that does not exist yet. */
export class DatabaseNotFoundError extends MixpanelDataError {
  readonly path: string;
  constructor(path: string, options: ErrorOptions = {}) {
    super(
      'DATABASE_NOT_FOUND',
      `No data yet: ${path}\nRun 'mp fetch events' or 'mp fetch profiles' to create the database.`,
      { ...options, details: { ...options.details, path } },
    );
    this.path = path;
  }
}

/** The storage engine was used after `close()`. */
export class DatabaseClosedError extends MixpanelDataError {
  constructor(options: ErrorOptions = {}) {
    super('DATABASE_CLOSED', 'The storage engine is closed.', options);
  }
}

/** A write was attempted on a read-only storage engine. */
export class ReadOnlyError extends MixpanelDataError {
  constructor(operation: string, options: ErrorOptions = {}) {
    super(
      'READ_ONLY',
      `Cannot ${operation}: the database was opened read-only. Open it without readOnly to write.`,
      options,
    );
  }
}

/** A backend's driver is not installed or cannot load. */
export class BackendUnavailableError extends MixpanelDataError {
  constructor(backend: string, hint: string, options: ErrorOptions = {}) {
    super('BACKEND_UNAVAILABLE', `The ${backend} backend is not available: ${hint}`, {
      ...options,
      details: { ...options.details, backend },
    });
  }
}

/** The chosen backend or mode cannot do what was asked. */
export class UnsupportedError extends MixpanelDataError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('UNSUPPORTED', message, options);
  }
}

/** Configuration is invalid: unknown key, wrong type, missing account... `details.key` names it. */
export class ConfigError extends MixpanelDataError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** A named account is not in the configuration. */
export class AccountNotFoundError extends MixpanelDataError {
  constructor(account: string, options: ErrorOptions = {}) {
    super(
      'ACCOUNT_NOT_FOUND',
      `Account '${account}' is not configured. Add it with 'mp auth add ${account}'.`,
      {
        ...options,
        details: { ...options.details, account },
      },
    );
  }
}

/** A file given by the caller does not exist. */
export class FileNotFoundError extends MixpanelDataError {
  constructor(path: string, options: ErrorOptions = {}) {
    super('FILE_NOT_FOUND', `File not found: ${path}`, { ...options, details: { ...options.details, path } });
  }
}

/** Mixpanel refused the credentials (401, or 400 "Unable to authenticate request"). */
export class AuthenticationError extends MixpanelDataError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AUTHENTICATION_FAILED', message, options);
  }
}

/** Mixpanel answered 429, or our own limiter would have to wait longer than allowed. */
export class RateLimitError extends MixpanelDataError {
  /** When a retry may succeed. */
  readonly retryAt: Date;
  /** The budget that ran out: `export` or `query`. */
  readonly bucket: string;
  /** `quota`, `concurrency`, `loadShed`, `export` or `local` (our limiter). */
  readonly kind: string;
  constructor(message: string, retryAt: Date, bucket: string, kind: string, options: ErrorOptions = {}) {
    super('API_RATE_LIMITED', message, {
      ...options,
      details: { ...options.details, retryAt: retryAt.toISOString(), bucket, kind },
    });
    this.retryAt = retryAt;
    this.bucket = bucket;
    this.kind = kind;
  }
}

/** Any other failed Mixpanel API call. */
export class ApiError extends MixpanelDataError {
  readonly status: number | undefined;
  readonly endpoint: string;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  constructor(
    message: string,
    init: { status?: number; endpoint: string; requestId?: string; retryable: boolean },
    options: ErrorOptions = {},
  ) {
    super('API_ERROR', message, {
      ...options,
      details: {
        ...options.details,
        status: init.status,
        endpoint: init.endpoint,
        requestId: init.requestId,
        retryable: init.retryable,
      },
    });
    this.status = init.status;
    this.endpoint = init.endpoint;
    this.requestId = init.requestId;
    this.retryable = init.retryable;
  }
}
