import { type CliIo, write } from '../cli-io.js';
import { defined } from '../defined.js';
import type { GlobalOptions } from '../global-options.js';
import { printSummary } from '../output.js';
import { runFakeServer } from '../testing.js';

/** `mp fake-server`. */
export interface FakeServerOptions extends GlobalOptions {
  /** Listen port on 127.0.0.1. Default 0: any free port (read it from the printed URL). */
  readonly port?: number;
  /** Seed of the generated data set. Default 1. */
  readonly seed?: number;
  /** Average events per day. Default 2000. */
  readonly events?: number;
  /** Days holding events. Default 30. */
  readonly days?: number;
  /** Serve export days from cached gzip (see the fake's `exportCache` option). Default off. */
  readonly exportCache?: 'off' | 'lazy' | 'precompute';
}

/**
 * Serves the built-in fake Mixpanel on loopback until SIGINT or SIGTERM (the io signal), then stops
 * it and returns normally: stopping is the expected end, so the exit code is 0. The first and only
 * stdout line is `{"url","username","secret","projectId"}` for scripts to read.
 */
export async function fakeServer(options: FakeServerOptions, io: CliIo): Promise<void> {
  const { fake, line } = await runFakeServer(
    defined({
      port: options.port,
      seed: options.seed,
      eventsPerDay: options.events,
      days: options.days,
      exportCache: options.exportCache,
    }),
  );
  try {
    await write(io.stdout, `${line}\n`);
    printSummary(
      io,
      options.quiet,
      `Fake Mixpanel on ${fake.url} (project ${fake.projectId}). Point mp at it with MP_API_BASE_URL, ` +
        'MP_USERNAME, MP_SECRET, MP_PROJECT_ID and MP_REGION=us. Stop with Ctrl-C.',
    );
    await untilAborted(io.signal);
  } finally {
    await fake.close();
  }
  printSummary(io, options.quiet, 'Fake Mixpanel stopped.');
}

/** Resolves when the signal fires (never, without one). */
function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
