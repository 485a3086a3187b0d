import {
  AbortedError,
  ApiError,
  AuthenticationError,
  type MixpanelDataError,
  RateLimitError,
} from '../errors.js';

/** Headers that may carry a request id, in order of preference. */
export const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-mp-request-id'] as const;

/** Longest server message quoted in an error. */
const MAX_MESSAGE_CHARS = 500;

/**
 * Extracts the server's message from an error body: the `error` field of a JSON
 * `{"request": ..., "error": ...}` body, otherwise the first 500 characters of the text (HTML tags
 * removed, whitespace collapsed). The `request` field is not quoted: it repeats the URL.
 */
export function serverMessage(body: string): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed !== null && typeof parsed === 'object') {
        const error = (parsed as Record<string, unknown>).error;
        if (typeof error === 'string') return clip(error);
        if (error !== undefined) return clip(JSON.stringify(error));
      }
    } catch {
      // Not JSON after all: fall through to text.
    }
  }
  const text = trimmed.startsWith('<') ? trimmed.replace(/<[^>]*>/g, ' ') : trimmed;
  return clip(text.replace(/\s+/g, ' ').trim());
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/** Context of a failed response, used to build the error. */
export interface ResponseFailure {
  status: number;
  body: string;
  /** Path without query string, e.g. `/api/2.0/export`. */
  endpoint: string;
  /** Human description of the call, e.g. `export 2024-06-01..2024-06-02`. */
  operation: string;
  requestId?: string | undefined;
  /** Secret-free context added to `details`. */
  details?: Record<string, unknown>;
}

/**
 * Maps a non-2xx response to an error (section 2 and 3.5 of the API notes):
 * 401, and 400 containing "Unable to authenticate request" → {@link AuthenticationError};
 * 402/403 and other 4xx → non-retryable {@link ApiError}; 5xx, 408 and 429 → retryable `ApiError`
 * (the caller turns 429s into waits or {@link RateLimitError}).
 */
export function errorForResponse(failure: ResponseFailure): MixpanelDataError {
  const { status, endpoint, operation, requestId } = failure;
  const message = serverMessage(failure.body);
  const quoted = message === '' ? '' : `: ${message}`;
  const details = { ...failure.details, status, endpoint, ...(requestId === undefined ? {} : { requestId }) };
  if (status === 401 || (status === 400 && /unable to authenticate request/i.test(failure.body))) {
    return new AuthenticationError(
      `Mixpanel refused the credentials for ${operation} (${status} at ${endpoint})${quoted}. ` +
        'Check the service account username and secret, its expiry, and the region.',
      { details },
    );
  }
  const retryable = status >= 500 || status === 408 || status === 429;
  let hint = '';
  if (status === 402) hint = ' The plan may not include this API.';
  else if (status === 403) hint = ' Check that the account can read this project (and its classified data).';
  else if (status === 400 && /to_date cannot be later than today/i.test(failure.body)) {
    hint = " The project's day boundary may differ from UTC (pre-2023 projects use the project time zone).";
  }
  return new ApiError(
    `Mixpanel ${operation} failed with HTTP ${status} at ${endpoint}${quoted}.${hint}`,
    { status, endpoint, requestId, retryable },
    { details },
  );
}

/** Describes a transport failure (reset, premature close, truncated gzip, refused connection). */
export function describeNetworkError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message))
    return 'the gzip stream was truncated';
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || /premature close/i.test(message)) {
    return 'the connection closed before the body was complete';
  }
  if (code === 'ECONNRESET' || message === 'aborted') return 'the connection was reset';
  if (code !== undefined) return `${code}: ${message}`;
  if (e?.cause !== undefined && e.cause !== error) return `${message} (${describeNetworkError(e.cause)})`;
  return message;
}

/** A retryable {@link ApiError} for a failure below HTTP (no status). */
export function networkError(
  error: unknown,
  endpoint: string,
  operation: string,
  details: Record<string, unknown> = {},
): ApiError {
  return new ApiError(
    `Mixpanel ${operation} failed at ${endpoint}: ${describeNetworkError(error)}.`,
    { endpoint, retryable: true },
    { cause: error, details },
  );
}

/** A copy of `error` with extra details (and optionally a message suffix); the original is the cause. */
export function withApiDetails(error: ApiError, extra: Record<string, unknown>, suffix = ''): ApiError {
  return new ApiError(
    `${error.message}${suffix}`,
    {
      ...(error.status === undefined ? {} : { status: error.status }),
      endpoint: error.endpoint,
      ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
      retryable: error.retryable,
    },
    { cause: error.cause ?? error, details: { ...error.details, ...extra } },
  );
}

/**
 * True for failures worth retrying: a retryable {@link ApiError} (5xx, network failure, a broken
 * export stream, a short 429). `AuthenticationError`, `RateLimitError`, `AbortedError` and argument
 * errors are never retryable.
 */
export function isRetryableError(error: unknown): boolean {
  if (error instanceof AbortedError || error instanceof RateLimitError) return false;
  return error instanceof ApiError && error.retryable;
}
