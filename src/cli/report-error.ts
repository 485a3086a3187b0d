import type { CliIo } from './cli-io.js';
import { CliExit, EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { MASK, MixpanelDataError, RateLimitError } from './library.js';
import { jsonText } from './output/json-value.js';
import { stderrPaint } from './output.js';

/** How an error is shown. */
export interface ReportOptions {
  /** `json` prints `{"error":{code,message,details,hint}}`; anything else prints text. */
  readonly format?: string;
  /** Adds the stack and the cause chain (never secrets: those are scrubbed like everything else). */
  readonly verbose?: boolean;
}

/** Environment variables whose values must never appear in anything we print. */
const SECRET_ENV = ['MP_SECRET', 'MP_API_SECRET', 'MP_PG_PASSWORD', 'MP_PG_URL'] as const;

/**
 * Prints an error on stderr: one line with the message and its code, the message's remedy lines,
 * and a hint; or, with `--format json`, one JSON object. Secrets from the environment are masked
 * even if some lower layer let one slip into a message.
 */
export function reportError(io: CliIo, error: unknown, options: ReportOptions = {}): void {
  if (error instanceof CliExit) return; // the command already printed its outcome
  const described = describe(error, io);
  const scrub = scrubber(io.env);
  if (options.format === 'json') {
    const body = { error: { ...described, hint: described.hint ?? null } };
    io.stderr.write(`${scrub(jsonText(body))}\n`);
    return;
  }
  const paint = stderrPaint(io);
  const [first = '', ...rest] = described.message.split('\n');
  let text = `${paint('red', paint('bold', 'Error:'))} ${first} ${paint('dim', `[${described.code}]`)}\n`;
  for (const line of rest) text += `${line}\n`;
  if (described.hint !== undefined) text += `${paint('yellow', 'Hint:')} ${described.hint}\n`;
  if (options.verbose === true) text += verboseDetail(error);
  io.stderr.write(scrub(text));
}

interface Described {
  code: string;
  message: string;
  details: Record<string, unknown>;
  exitCode: number;
  hint: string | undefined;
}

function describe(error: unknown, io: CliIo): Described {
  const exitCode = exitCodeFor(error);
  if (error instanceof MixpanelDataError) {
    return {
      code: error.code,
      message: error.message,
      details: { ...error.details },
      exitCode,
      hint: hintFor(error, io),
    };
  }
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && code.startsWith('commander.')) {
    return {
      code: 'INVALID_ARGUMENT',
      message: String(message ?? code).replace(/^error: /, ''),
      details: { commander: code },
      exitCode,
      hint: "Run 'mp --help' or 'mp COMMAND --help' for usage and examples.",
    };
  }
  if (exitCode === EXIT_CODES.interrupted) {
    return { code: 'ABORTED', message: 'Interrupted', details: {}, exitCode, hint: undefined };
  }
  return {
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    details: {},
    exitCode,
    hint: 'This looks like a bug in mp. Run again with --verbose for the stack trace and report it.',
  };
}

function hintFor(error: MixpanelDataError, _io: CliIo): string | undefined {
  switch (error.code) {
    case 'AUTHENTICATION_FAILED':
      return "Check the credentials with 'mp auth test'; fix them with 'mp auth add NAME --replace'.";
    case 'API_RATE_LIMITED':
      return error instanceof RateLimitError ? retryHint(error.retryAt) : 'Wait a while and retry.';
    case 'ABORTED':
      return 'Nothing was half-written: the interrupted write rolled back.';
    case 'TABLE_EXISTS':
      // A MigrationError carries what moved: only --replace (or --tables) applies to mp migrate.
      return Array.isArray(error.details.moved)
        ? 'Pass --replace to overwrite the differing tables on the target, or --tables to leave them out.'
        : 'Pass --append to add to it, --replace to rebuild it, or another table name (--name / NAME).';
    case 'TABLE_NOT_FOUND':
      return "List the tables with 'mp inspect tables'.";
    case 'INVALID_ARGUMENT':
      if (error.details.option === 'force') return 'Pass --force to overwrite it.';
      return "Run 'mp COMMAND --help' for usage and examples.";
    case 'UNSUPPORTED':
      return "Run 'mp COMMAND --help' for usage and examples.";
    case 'CONFIG_INVALID':
      return "Check the configuration with 'mp config show' and 'mp doctor'.";
    case 'API_ERROR': {
      const status = error.details.status;
      return typeof status === 'number' && status >= 400 && status < 500
        ? "Mixpanel refused the request's parameters: check them with 'mp COMMAND --help' (ids: 'mp inspect funnels', 'mp inspect cohorts')."
        : "Run 'mp doctor' to check the credentials, the region and the connection.";
    }
    case 'QUERY_FAILED':
      return "See the tables and columns with 'mp inspect tables' and 'mp inspect schema -t TABLE'.";
    case 'READ_ONLY':
      return 'This command opens the database read-only; use a write command (fetch, inspect drop).';
    default:
      // DatabaseLocked, DatabaseNotFound, AccountNotFound, BackendUnavailable carry their remedy.
      return undefined;
  }
}

/** "Retry in 42 s (after 2024-06-01T12:00:42Z)." */
export function retryHint(retryAt: Date, now = Date.now()): string {
  const seconds = Math.max(0, Math.ceil((retryAt.getTime() - now) / 1000));
  return `Mixpanel's rate limit is exhausted: retry in ${seconds} s (after ${retryAt.toISOString()}).`;
}

function verboseDetail(error: unknown): string {
  let text = '';
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    text += `${depth === 0 ? '' : 'Caused by: '}${current.stack ?? current.message}\n`;
    current = current.cause;
  }
  return text;
}

/** Replaces every secret found in the environment with the mask. */
function scrubber(env: NodeJS.ProcessEnv): (text: string) => string {
  const secrets = SECRET_ENV.map((k) => env[k]).filter((v): v is string => v !== undefined && v.length >= 4);
  if (secrets.length === 0) return (text) => text;
  return (text) => secrets.reduce((acc, s) => acc.split(s).join(MASK), text);
}
