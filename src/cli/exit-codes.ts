import type { ErrorCode } from './library.js';

/**
 * The exit codes of `mp`. Scripts branch on these, so a value never changes meaning once released.
 * Only `main.ts` turns errors into them (with {@link exitCodeFor}) and exits.
 */
export const EXIT_CODES = {
  /** The command did what was asked. */
  ok: 0,
  /** Anything else: a failed query, an API error after retries, `mp doctor` found problems... */
  general: 1,
  /** Mixpanel refused the credentials (401/403, "Unable to authenticate request"). */
  authentication: 2,
  /** Bad usage: unknown flag, missing argument, `--append` with `--replace`, `--raw` without `--stdout`, invalid config. */
  invalidArguments: 3,
  /** A table, database file, account or input file that was named does not exist. */
  notFound: 4,
  /** Mixpanel's rate limit would need a longer wait than allowed; the message says when to retry. */
  rateLimited: 5,
  /** Another process holds the database lock; the message names its PID and the remedies. */
  databaseLocked: 6,
  /** Ctrl-C or SIGTERM: the work stopped and its transaction rolled back (128 + SIGINT). */
  interrupted: 130,
} as const;

/** One of the {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/**
 * Exit code per library error code. A `Record` over the whole union, so adding an error code to the
 * library fails to compile here until someone decides its exit code.
 */
const BY_ERROR_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  INTERNAL: EXIT_CODES.general,
  INVALID_ARGUMENT: EXIT_CODES.invalidArguments,
  INVALID_RECORD: EXIT_CODES.general,
  ABORTED: EXIT_CODES.interrupted,
  TABLE_EXISTS: EXIT_CODES.general,
  TABLE_NOT_FOUND: EXIT_CODES.notFound,
  QUERY_FAILED: EXIT_CODES.general,
  DATABASE_LOCKED: EXIT_CODES.databaseLocked,
  DATABASE_NOT_FOUND: EXIT_CODES.notFound,
  DATABASE_CLOSED: EXIT_CODES.general,
  READ_ONLY: EXIT_CODES.general,
  BACKEND_UNAVAILABLE: EXIT_CODES.general,
  UNSUPPORTED: EXIT_CODES.invalidArguments,
  CONFIG_INVALID: EXIT_CODES.invalidArguments,
  ACCOUNT_NOT_FOUND: EXIT_CODES.notFound,
  FILE_NOT_FOUND: EXIT_CODES.notFound,
  AUTHENTICATION_FAILED: EXIT_CODES.authentication,
  API_RATE_LIMITED: EXIT_CODES.rateLimited,
  API_ERROR: EXIT_CODES.general,
};

/** Commander error codes that mean "help or version was printed": success, not a usage error. */
const COMMANDER_SUCCESS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** The exit code for anything a command threw. */
export function exitCodeFor(error: unknown): ExitCode {
  if (typeof error !== 'object' || error === null) return EXIT_CODES.general;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (error instanceof CliExit) return error.exitCode;
  if (typeof code === 'string') {
    if (Object.hasOwn(BY_ERROR_CODE, code)) return BY_ERROR_CODE[code as ErrorCode];
    if (COMMANDER_SUCCESS.has(code)) return EXIT_CODES.ok;
    if (code.startsWith('commander.')) return EXIT_CODES.invalidArguments;
  }
  // An abort that surfaced as the platform's own AbortError (fetch, streams) rather than ours.
  if (name === 'AbortError') return EXIT_CODES.interrupted;
  return EXIT_CODES.general;
}

/**
 * "Already reported, exit with this code": thrown by a command that printed its own outcome (e.g.
 * `mp doctor` listing problems) and only needs the process to end unsuccessfully.
 */
export class CliExit extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message = `exit ${exitCode}`) {
    super(message);
    this.name = 'CliExit';
    this.exitCode = exitCode;
  }
}
