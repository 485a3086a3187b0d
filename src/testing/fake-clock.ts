import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '../errors.js';
import { parseFakeTime } from './fake-options.js';

/** How the fake clock moves: with real elapsed time, or only when told to. */
export type FakeClockMode = 'running' | 'frozen';

/**
 * The fake's notion of "now". It decides today's date for the `to_date` check, which late events
 * are visible, and the rate-limit windows. A running clock adds real elapsed time to its reading;
 * a frozen one moves only through {@link FakeClock.setNow} and {@link FakeClock.advance}.
 */
export class FakeClock {
  private baseMs: number;
  private anchor: number;

  constructor(
    startMs: number,
    readonly mode: FakeClockMode,
  ) {
    this.baseMs = startMs;
    this.anchor = performance.now();
  }

  /** The current fake time, in epoch ms. */
  now(): number {
    if (this.mode === 'frozen') return this.baseMs;
    return this.baseMs + Math.floor(performance.now() - this.anchor);
  }

  /** Jumps to a time given as epoch ms, ISO text or a Date. */
  setNow(time: number | string | Date): void {
    this.baseMs = parseFakeTime(time);
    this.anchor = performance.now();
  }

  /** Moves the clock forward (or back, with a negative value) by `ms`. */
  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new InvalidArgumentError('advance() needs a finite number of ms');
    this.setNow(this.now() + Math.round(ms));
  }
}
