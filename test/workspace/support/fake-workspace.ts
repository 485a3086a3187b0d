/**
 * Workspaces pointed at the fake Mixpanel of `src/testing`. The fake runs with a frozen clock that
 * the client shares: every wait of the client (rate limits, retry backoff) moves the fake's time, so
 * both limiters agree and tests take no real time waiting. The fake's `now` is set well after its
 * data range so every late event is visible and moving the clock never changes the ground truth.
 */
import { join } from 'node:path';
import { AbortedError } from '../../../src/errors.js';
import type { StorageEngine } from '../../../src/index.js';
import { Workspace, type WorkspaceOptions } from '../../../src/index.js';
import type { Clock } from '../../../src/mixpanel/clock.js';
import { RateLimiterRegistry } from '../../../src/mixpanel/rate-limiter.js';
import {
  type FakeMixpanel,
  type FakeMixpanelOptions,
  startFakeMixpanel,
} from '../../../src/testing/index.js';
import { tempDir } from '../../support/temp-dir.js';

/** A client clock that is the fake's frozen clock. */
export class SharedClock implements Clock {
  constructor(private readonly server: FakeMixpanel) {}
  now(): number {
    return this.server.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError('wait'));
    this.server.advance(Math.max(0, ms));
    return new Promise((resolve) => setImmediate(resolve));
  }
}

const DAY_MS = 86_400_000;

/** Starts a fake whose clock is frozen 10 days after its range (all late events visible). */
export function startFake(options: FakeMixpanelOptions = {}): Promise<FakeMixpanel> {
  const start = Date.parse(`${options.startDate ?? '2024-06-01'}T00:00:00Z`);
  const days = options.days ?? 30;
  return startFakeMixpanel({ now: start + (days + 10) * DAY_MS, clock: 'frozen', ...options });
}

/**
 * The environment a workspace reads: the fake's `MP_*` credentials, a config file that does not
 * exist and a private data directory, so the developer's `~/.mp` is never touched.
 */
export function fakeEnv(fake: FakeMixpanel, dir = tempDir('mp-ws-env-')): NodeJS.ProcessEnv {
  return { ...fake.env(), MP_CONFIG_PATH: join(dir, 'config.toml'), MP_DATA_DIR: join(dir, 'data') };
}

/** A workspace on the fake: credentials from its env, a shared clock, fast jitter, own limiters. */
export function fakeWorkspace(fake: FakeMixpanel, options: WorkspaceOptions = {}): Workspace {
  return new Workspace({
    env: fakeEnv(fake),
    ...options,
    clientOptions: {
      clock: new SharedClock(fake),
      retry: { random: () => 0.5 },
      rateLimits: { registry: new RateLimiterRegistry() },
      // Waiting out the hourly budget costs no real time on the shared clock.
      maxRateLimitWaitMs: 2 * 3_600_000,
      ...options.clientOptions,
    },
  });
}

/** A fresh DuckDB file path in a temp directory. */
export function dbPath(name = 'ws.duckdb'): string {
  return join(tempDir('mp-ws-db-'), name);
}

/** `{ day: { event: count } }` of a stored events table, computed from its rows (any backend). */
export async function storedCounts(
  storage: StorageEngine,
  table = 'events',
): Promise<Record<string, Record<string, number>>> {
  const q = storage.dialect.quoteIdentifier(table);
  const counts: Record<string, Record<string, number>> = {};
  for await (const batch of storage.stream(`SELECT event_name, event_time FROM ${q}`)) {
    for (const row of batch) {
      const day = (row.event_time as Date).toISOString().slice(0, 10);
      const perDay = counts[day] ?? {};
      counts[day] = perDay;
      const name = row.event_name as string;
      perDay[name] = (perDay[name] ?? 0) + 1;
    }
  }
  return counts;
}

/** Export requests the fake received, in order. */
export function exportRequests(fake: FakeMixpanel) {
  return fake.requests.filter((r) => r.family === 'export');
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
