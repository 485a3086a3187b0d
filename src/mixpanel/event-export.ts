import { ApiError, InvalidArgumentError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';
import { EXPORT_PATH } from './endpoints.js';
import type { HttpResponse } from './http-request.js';
import { BadLine, type LineBlock, LineBlockSplitter } from './line-blocks.js';
import { LosslessLineParser } from './lossless-json-line.js';
import { withApiDetails } from './mixpanel-errors.js';
import { readNdjsonLines } from './ndjson-reader.js';
import type { CallSpec, RequestRunner } from './request-runner.js';

/**
 * One raw event as the export delivers it. Numbers are parsed losslessly: an integer literal beyond
 * ±(2^53−1) is a `bigint` with its exact digits; every other number is a `number`.
 */
export interface RawEvent {
  event: string;
  properties: Record<string, unknown>;
}

/** Parameters of one export request (one range, sent as a single request). */
export interface ExportParams {
  /** First day, inclusive, `yyyy-mm-dd`. */
  fromDate: string;
  /** Last day, inclusive. Clamped to today (UTC or the project time zone) with a warning. */
  toDate: string;
  /** Only these event names (exact, case-sensitive). Omit for all events; an empty list is refused. */
  events?: readonly string[];
  /** Segmentation expression over event properties. */
  where?: string;
  /** At most this many events (1..100000). Never use it to page. */
  limit?: number;
  /** `properties.time` in ms instead of seconds. */
  timeInMs?: boolean;
  /** Cancels waits and the running stream at once. */
  signal?: AbortSignal;
}

/** A warning the client raised about a call (also sent to `onWarning`). */
export interface MixpanelWarning {
  code: 'TO_DATE_CLAMPED' | 'PROJECT_SECRET_DEPRECATED';
  message: string;
  details?: Record<string, unknown>;
}

/** The request an export range is sent as, after validation and clamping. */
export interface ExportRequestInfo {
  endpoint: string;
  fromDate: string;
  /** The `to_date` actually sent (today when the requested one was in the future). */
  toDate: string;
  /** The `toDate` the caller asked for. */
  requestedToDate: string;
  warnings: readonly MixpanelWarning[];
}

/**
 * One attempt at an export range. `events` can be iterated once; it yields the events of this
 * attempt's HTTP request and throws if the request fails. After a failure, everything this attempt
 * yielded must be discarded: the retry delivers the whole range again.
 */
export interface ExportAttempt {
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Attempts allowed in total. */
  readonly maxAttempts: number;
  readonly request: ExportRequestInfo;
  /** The events of this attempt (single use). */
  readonly events: AsyncIterable<RawEvent>;
  /**
   * The same stream as blocks of whole raw JSON lines, undecoded bytes (single use; use `events`
   * or `blocks`, not both). Each line starts with `{` and ends with `}`, and `terminated early`
   * fails the attempt as with `events`; full JSON validation is left to the consumer (e.g. DuckDB's
   * `read_json`).
   */
  readonly blocks: AsyncIterable<LineBlock>;
  /** Events yielded so far by this attempt. */
  readonly linesRead: number;
  /** True once `events` has been read to the end without error. */
  readonly completed: boolean;
  /**
   * The error `events` threw, if any. In an `exportAttempts` loop, compare a caught error with
   * this: if it is something else (your own storage error), rethrow it.
   */
  readonly failure: Error | undefined;
}

/** Info passed to an {@link exportRange} consumer. */
export interface ExportAttemptInfo {
  attempt: number;
  maxAttempts: number;
  request: ExportRequestInfo;
}

/** A validated export, ready to send. */
export interface PreparedExport {
  info: ExportRequestInfo;
  params: Record<string, string | undefined>;
  signal: AbortSignal | undefined;
}

const TERMINATED_EARLY = 'terminated early';

class Attempt implements ExportAttempt {
  linesRead = 0;
  completed = false;
  failure: Error | undefined;
  #used = false;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly request: ExportRequestInfo;
  readonly #runner: RequestRunner;
  readonly #prepared: PreparedExport;

  constructor(runner: RequestRunner, prepared: PreparedExport, attempt: number) {
    this.#runner = runner;
    this.#prepared = prepared;
    this.attempt = attempt;
    this.maxAttempts = runner.maxAttempts;
    this.request = prepared.info;
  }

  get events(): AsyncIterable<RawEvent> {
    return this.#once(() => this.#stream());
  }

  get blocks(): AsyncIterable<LineBlock> {
    return this.#once(() => this.#streamBlocks());
  }

  #once<T>(open: () => AsyncIterator<T>): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        if (this.#used) {
          throw new InvalidArgumentError(
            `Export attempt ${this.attempt} can be read only once; take the next attempt to read the range again.`,
          );
        }
        this.#used = true;
        return open();
      },
    };
  }

  #spec(): CallSpec {
    const { info } = this.#prepared;
    return {
      family: 'export',
      path: EXPORT_PATH,
      method: 'GET',
      params: this.#prepared.params,
      bucket: 'export',
      operation: `export ${info.fromDate}..${info.toDate}`,
      accept: 'text',
      signal: this.#prepared.signal,
      details: { fromDate: info.fromDate, toDate: info.toDate, attempt: this.attempt },
    };
  }

  /** Records a failure of this attempt (with its progress) and returns the error to throw. */
  #fail(error: unknown): Error {
    const failure =
      error instanceof ApiError
        ? withApiDetails(error, { linesRead: this.linesRead, attempt: this.attempt })
        : error instanceof Error
          ? error
          : new Error(String(error));
    this.failure = failure;
    return failure;
  }

  async *#streamBlocks(): AsyncGenerator<LineBlock> {
    const spec = this.#spec();
    let response: HttpResponse | undefined;
    try {
      response = await this.#runner.open(spec);
      const splitter = new LineBlockSplitter();
      const take = (block: LineBlock | null): LineBlock | null => {
        if (block !== null) this.linesRead += block.lines;
        return block;
      };
      try {
        for await (const chunk of response.body) {
          const block = take(splitter.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
          if (block !== null) yield block;
        }
        const last = take(splitter.end());
        if (last !== null) yield last;
      } catch (error) {
        if (!(error instanceof BadLine)) throw error;
        // A cut or split record, or the server's own end marker: the stream failed (retryable).
        throw error.text === TERMINATED_EARLY
          ? streamError(
              spec,
              `the server ended the stream with 'terminated early' at line ${error.lineNumber}`,
              {
                lineNumber: error.lineNumber,
              },
            )
          : streamError(spec, error.message, { lineNumber: error.lineNumber });
      }
      this.completed = true;
    } catch (error) {
      throw this.#fail(error);
    } finally {
      response?.close();
    }
  }

  get started(): boolean {
    return this.#used;
  }

  async *#stream(): AsyncGenerator<RawEvent> {
    const spec = this.#spec();
    let response: HttpResponse | undefined;
    try {
      response = await this.#runner.open(spec);
      const parser = new LosslessLineParser();
      for await (const batch of readNdjsonLines(response.body)) {
        for (const line of batch) {
          if (line.text === TERMINATED_EARLY) {
            throw streamError(
              spec,
              `the server ended the stream with 'terminated early' at line ${line.lineNumber}`,
              {
                lineNumber: line.lineNumber,
              },
            );
          }
          let value: unknown;
          try {
            value = parser.parse(line.text);
          } catch (cause) {
            throw streamError(
              spec,
              `line ${line.lineNumber} is not valid JSON`,
              { lineNumber: line.lineNumber },
              cause,
            );
          }
          if (!isRawEvent(value)) {
            throw streamError(
              spec,
              `line ${line.lineNumber} is not an event object ({"event": string, "properties": object})`,
              { lineNumber: line.lineNumber },
            );
          }
          this.linesRead++;
          yield value;
        }
      }
      this.completed = true;
    } catch (error) {
      throw this.#fail(error);
    } finally {
      response?.close();
    }
  }
}

function streamError(
  spec: CallSpec,
  problem: string,
  details: Record<string, unknown>,
  cause?: unknown,
): ApiError {
  return new ApiError(
    `Mixpanel ${spec.operation} failed at ${spec.path}: ${problem}. The range must be fetched again as a whole.`,
    { status: 200, endpoint: spec.path, retryable: true },
    { ...(cause === undefined ? {} : { cause }), details: { ...spec.details, ...details } },
  );
}

function isRawEvent(value: unknown): value is RawEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  const props = record.properties;
  return (
    typeof record.event === 'string' && typeof props === 'object' && props !== null && !Array.isArray(props)
  );
}

/**
 * Attempts for one export range (see `MixpanelClient.exportAttempts`). The generator resumes after
 * the caller is done with an attempt: a completed attempt ends the loop, a retryable failure waits
 * (backoff, `Retry-After` wins) and yields a fresh attempt, anything else is thrown.
 */
export async function* exportAttempts(
  runner: RequestRunner,
  prepared: PreparedExport,
): AsyncGenerator<ExportAttempt> {
  for (let n = 1; ; n++) {
    throwIfAborted(prepared.signal, `Mixpanel export ${prepared.info.fromDate}..${prepared.info.toDate}`);
    const attempt = new Attempt(runner, prepared, n);
    yield attempt;
    if (attempt.completed) return;
    if (attempt.failure === undefined) {
      throw new InvalidArgumentError(
        `Export attempt ${n} for ${prepared.info.fromDate}..${prepared.info.toDate} was neither read to the end nor failed. ` +
          'Read attempt.events completely, or break out of the attempts loop.',
      );
    }
    const delay = runner.retryDelay(attempt.failure, n);
    if (delay === undefined) throw runner.finalError(attempt.failure, n);
    await runner.clock.sleep(delay, prepared.signal);
  }
}

/**
 * Runs `consume` once per attempt until one succeeds (see `MixpanelClient.exportRange`). Retries
 * only when `consume` rejects with the failure of that attempt's own stream and the failure is
 * retryable; any other rejection is passed through at once.
 */
export function exportRange<T>(
  runner: RequestRunner,
  prepared: PreparedExport,
  consume: (events: AsyncIterable<RawEvent>, info: ExportAttemptInfo) => Promise<T>,
): Promise<T> {
  return consumeAttempts(runner, prepared, (attempt) => consume(attempt.events, attemptInfo(attempt)));
}

/**
 * {@link exportRange} over blocks of raw lines instead of parsed events: `consume` gets
 * `attempt.blocks`. Same retry rule: only a failure of the attempt's own stream is retried.
 */
export function exportRangeBlocks<T>(
  runner: RequestRunner,
  prepared: PreparedExport,
  consume: (blocks: AsyncIterable<LineBlock>, info: ExportAttemptInfo) => Promise<T>,
): Promise<T> {
  return consumeAttempts(runner, prepared, (attempt) => consume(attempt.blocks, attemptInfo(attempt)));
}

function attemptInfo(attempt: ExportAttempt): ExportAttemptInfo {
  return { attempt: attempt.attempt, maxAttempts: attempt.maxAttempts, request: attempt.request };
}

async function consumeAttempts<T>(
  runner: RequestRunner,
  prepared: PreparedExport,
  consume: (attempt: ExportAttempt) => Promise<T>,
): Promise<T> {
  for await (const attempt of exportAttempts(runner, prepared)) {
    try {
      return await consume(attempt);
    } catch (error) {
      if (!causedBy(error, attempt.failure)) throw error;
      // Our own stream failed: loop, and the generator decides whether to retry.
    }
  }
  // Unreachable: the generator either returns after a completed attempt (we returned) or throws.
  throw new InvalidArgumentError('Export range ended without a result.');
}

/** True when `error` is `failure` or wraps it (through `cause`, a few levels deep). */
function causedBy(error: unknown, failure: Error | undefined): boolean {
  if (failure === undefined) return false;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current === failure) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A single logical stream of a range. Failures before the first event are retried silently (nothing
 * was delivered); a failure after that throws a retryable `ApiError` with `details.linesRead`.
 */
export async function* exportEvents(
  runner: RequestRunner,
  prepared: PreparedExport,
): AsyncGenerator<RawEvent> {
  for await (const attempt of exportAttempts(runner, prepared)) {
    let yielded = 0;
    try {
      for await (const event of attempt.events) {
        yielded++;
        yield event;
      }
    } catch (error) {
      if (error !== attempt.failure || yielded > 0) throw error;
    }
  }
}
