import { AbortedError } from '../errors.js';
import { sleep as realSleep } from '../util/abort.js';

/**
 * Time source for every wait the Mixpanel client makes (retry backoff, rate-limit waits).
 * Inject a {@link ManualClock} in tests so waits take no real time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with `AbortedError` as soon as `signal` fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number, signal?: AbortSignal) => realSleep(Math.max(0, ms), signal, 'Mixpanel wait'),
});

/** Options for {@link ManualClock}. */
export interface ManualClockOptions {
  /** Start time in epoch ms. Default `2024-07-01T12:00:00Z`. */
  now?: number;
  /**
   * `true` (default): every `sleep(ms)` moves the clock forward by `ms` and resolves on the next
   * turn of the event loop, so code that waits an hour finishes at once. `false`: sleeps resolve
   * only when {@link ManualClock.advance} passes their wake-up time.
   */
  autoAdvance?: boolean;
}

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
}

/** A clock for tests: time moves only when a sleep asks for it (auto mode) or `advance()` is called. */
export class ManualClock implements Clock {
  #now: number;
  readonly #autoAdvance: boolean;
  #sleepers: Sleeper[] = [];
  /** Every sleep duration requested, in call order (useful to assert computed delays). */
  readonly sleeps: number[] = [];

  constructor(options: ManualClockOptions = {}) {
    this.#now = options.now ?? Date.UTC(2024, 6, 1, 12);
    this.#autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.#now;
  }

  /** Number of sleeps waiting for {@link advance} (manual mode). */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /** Wake-up time of the earliest pending sleep (manual mode), or `undefined`. */
  get nextWakeAt(): number | undefined {
    return this.#sleepers.reduce<number | undefined>(
      (min, s) => (min === undefined || s.wakeAt < min ? s.wakeAt : min),
      undefined,
    );
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const duration = Math.max(0, ms);
    this.sleeps.push(duration);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new AbortedError('Mixpanel wait', { cause: signal.reason }));
        return;
      }
      if (this.#autoAdvance) {
        this.#now += duration;
        const timer = setImmediate(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        const onAbort = () => {
          clearImmediate(timer);
          reject(new AbortedError('Mixpanel wait', { cause: signal?.reason }));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        return;
      }
      const sleeper: Sleeper = {
        wakeAt: this.#now + duration,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(new AbortedError('Mixpanel wait', { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Moves time forward and wakes every sleep that is due. */
  advance(ms: number): void {
    this.#now += Math.max(0, ms);
    const due = this.#sleepers.filter((s) => s.wakeAt <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.wakeAt > this.#now);
    for (const s of due.sort((a, b) => a.wakeAt - b.wakeAt)) s.resolve();
  }

  /** Sets the absolute time (never backwards) and wakes due sleeps. */
  set(nowMs: number): void {
    this.advance(nowMs - this.#now);
  }
}
