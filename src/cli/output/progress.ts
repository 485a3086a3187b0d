import { Presets, SingleBar } from 'cli-progress';
import type { CliIo } from '../cli-io.js';
import type { FetchProgress } from '../library.js';

/** A progress display: updated from `onProgress`, stopped before the summary prints. */
export interface Progress {
  update(event: FetchProgress): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };

/** When to draw: a terminal on stderr, and neither `--quiet` nor `--no-progress`. */
export interface ProgressOptions {
  readonly quiet?: boolean;
  readonly progress?: boolean;
}

/**
 * A progress bar on stderr showing chunks done, rows, rows per second and the ETA, or a no-op when
 * stderr is not a terminal (pipes and logs stay clean), with `--quiet` or with `--no-progress`.
 */
export function createProgress(io: CliIo, options: ProgressOptions, label: string): Progress {
  if (options.quiet === true || options.progress === false || !(io.stderrIsTTY ?? io.isTTY))
    return NO_PROGRESS;
  const startedAt = Date.now();
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} chunks | {rows} rows | {rate} rows/s | ETA {eta_formatted}`,
      stream: io.stderr,
      // We only get here for a terminal; this lets the bar draw on whatever stream io.stderr is.
      noTTYOutput: true,
      hideCursor: true,
      clearOnComplete: true,
      fps: 8,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(event) {
      const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
      const payload = {
        rows: event.rows.toLocaleString('en-US'),
        rate: Math.round(event.rows / seconds).toLocaleString('en-US'),
      };
      const total = Math.max(1, event.chunksTotal);
      if (!started) {
        bar.start(total, event.chunksDone, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(event.chunksDone, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** A progress line for work whose total is unknown (exports, imports, migrations): rows so far. */
export interface RowProgress {
  /** `rows` done so far in the current step; `step` names it (a table, a phase). */
  update(rows: number, step?: string): void;
  stop(): void;
}

const NO_ROW_PROGRESS: RowProgress = { update() {}, stop() {} };

/**
 * A counter on stderr (`label step: 12,345 rows | 40,000 rows/s`), drawn only where
 * {@link createProgress} would draw a bar: a terminal, without `--quiet` or `--no-progress`.
 */
export function createRowProgress(io: CliIo, options: ProgressOptions, label: string): RowProgress {
  if (options.quiet === true || options.progress === false || !(io.stderrIsTTY ?? io.isTTY))
    return NO_ROW_PROGRESS;
  const startedAt = Date.now();
  const bar = new SingleBar(
    {
      format: `${label}{step} {rows} rows | {rate} rows/s`,
      stream: io.stderr,
      noTTYOutput: true,
      hideCursor: true,
      clearOnComplete: true,
      fps: 8,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(rows, step) {
      const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
      const payload = {
        step: step === undefined ? '' : ` ${step}:`,
        rows: rows.toLocaleString('en-US'),
        rate: Math.round(rows / seconds).toLocaleString('en-US'),
      };
      if (!started) {
        bar.start(1, 0, payload);
        started = true;
      } else bar.update(0, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
