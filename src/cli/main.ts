#!/usr/bin/env node
import { buildProgram } from './cli.js';
/**
 * The `mp` entry point, and the only CLI file that touches the process: signals, exit codes and the
 * real stdio. The first Ctrl-C (or SIGTERM) aborts the running command through its AbortSignal; the
 * library stops its requests and rolls back the open transaction, so nothing is half-written, and
 * `mp` exits with 130. A second Ctrl-C exits at once.
 */
import { type CliIo, processIo } from './cli-io.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { AbortedError } from './library.js';
import { reportError } from './report-error.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals++;
  if (signals > 1) process.exit(EXIT_CODES.interrupted);
  controller.abort(new AbortedError(`mp (${signal})`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const io = processIo(controller.signal);
// A closed pipe (`mp fetch events --stdout | head`) is not an error: stop the work and exit quietly.
let stdoutClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
  controller.abort(new AbortedError('mp (stdout closed)'));
});

const code = await run(io, process.argv);
await flush(process.stdout);
await flush(process.stderr);
process.exit(code);

async function run(cliIo: CliIo, argv: readonly string[]): Promise<number> {
  const program = buildProgram(cliIo);
  try {
    await program.parseAsync([...argv]);
    return EXIT_CODES.ok;
  } catch (error) {
    if (stdoutClosed) return EXIT_CODES.ok;
    // Once interrupted, whatever the work threw on its way out is a consequence of the interrupt.
    const code = controller.signal.aborted ? EXIT_CODES.interrupted : exitCodeFor(error);
    if (code === EXIT_CODES.ok) return code; // --help, --version
    const opts = program.opts<{ format?: string; verbose?: boolean }>();
    const reported =
      controller.signal.aborted && !(error instanceof AbortedError) ? new AbortedError('mp') : error;
    reportError(cliIo, reported, {
      format: opts.format ?? formatFromArgv(argv),
      verbose: opts.verbose === true || argv.includes('--verbose') || argv.includes('-v'),
    });
    return code;
  }
}

/** `--format json` when commander failed before parsing it (usage errors). */
function formatFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--format') return argv[i + 1];
    if (arg.startsWith('--format=')) return arg.slice('--format='.length);
  }
  return undefined;
}

/** Waits until everything written so far has been handed to the OS (pipes are asynchronous). */
function flush(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}
