import type { Readable, Writable } from 'node:stream';

/**
 * Everything a command touches of the outside world. Commands never read `process.*` themselves:
 * `main.ts` builds this from the real process, tests build it from buffers and a temp-dir env.
 */
export interface CliIo {
  /** Where results go (data only, so it can be piped). */
  readonly stdout: Writable;
  /** Where progress, summaries, prompts and errors go. */
  readonly stderr: Writable;
  /** Secrets and SQL may be piped in. Default: none (treated as an empty, non-TTY stream). */
  readonly stdin?: Readable;
  /** Environment for configuration, credentials and `NO_COLOR`. */
  readonly env: NodeJS.ProcessEnv;
  /** True when stdout is a terminal: colour and the table layout are for humans. */
  readonly isTTY: boolean;
  /** True when stderr is a terminal: progress bars only go there. Default: `isTTY`. */
  readonly stderrIsTTY?: boolean;
  /** True when stdin is a terminal: prompts are possible. Default: false. */
  readonly stdinIsTTY?: boolean;
  /** Fires on Ctrl-C (first press) or SIGTERM; long work stops and rolls back. */
  readonly signal?: AbortSignal;
}

/** The real process as a {@link CliIo}. Only `main.ts` calls this. */
export function processIo(signal: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    signal,
  };
}

/** Writes text and waits for the stream to drain when its buffer is full (backpressure). */
export function write(stream: Writable, text: string): Promise<void> | undefined {
  if (stream.write(text)) return undefined;
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off('drain', onDrain);
      reject(error);
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}
