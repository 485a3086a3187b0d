import type { EngageSessions } from './engage-sessions.js';
import type { ExportCache } from './export-cache.js';
import type { FakeClock } from './fake-clock.js';
import type { FakeDataSet } from './fake-data.js';
import type { ResolvedFakeOptions } from './fake-options.js';
import type { RateLimiter } from './rate-limits.js';

/** The shared state every endpoint handler reads. */
export interface ServerContext {
  readonly options: ResolvedFakeOptions;
  readonly data: FakeDataSet;
  readonly clock: FakeClock;
  readonly limiter: RateLimiter;
  readonly sessions: EngageSessions;
  /** Compressed export days (option `exportCache`), or null when every response is generated. */
  readonly exportCache: ExportCache | null;
}
