import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { fileBytes } from '../../util/file-bytes.js';

/**
 * Background WAL checkpoints for a SQLite file in WAL mode.
 *
 * Why: with SQLite's automatic checkpoint, the COMMIT of a large write also copies every page it
 * wrote from the WAL into the database file, on the committing thread, which is the JavaScript
 * thread (1M events: COMMIT 1.0 s, of which the checkpoint was 0.73 s). The writer connection now
 * runs with `wal_autocheckpoint = 0`, and after a commit that left the WAL over
 * {@link CHECKPOINT_WAL_BYTES} a worker thread with its own connection runs
 * `PRAGMA wal_checkpoint(PASSIVE)` while JavaScript goes on. Nothing about durability or visibility
 * changes: committed pages are in the WAL, where readers find them; the checkpoint only moves them
 * into the main file. A PASSIVE checkpoint never blocks readers or writers; what it cannot copy yet
 * is copied by the next one, or by SQLite when the last connection closes.
 *
 * If the worker cannot start or a checkpoint fails, `onFailure` restores SQLite's automatic
 * checkpoints and this object stops asking for more.
 */

/** WAL size from which a commit asks for a checkpoint: SQLite's own default is 1000 pages (~4 MB). */
export const CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024;

// Inline CommonJS, so the same code runs from the TypeScript sources (tests) and from dist. The
// driver is resolved by the caller: a worker's own `require` would resolve from the working directory.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage(null);
  } catch (error) {
    parentPort.postMessage(String((error && error.message) || error));
  }
});
`;

const walBytes = (file: string) => fileBytes(`${file}-wal`);

export class SqliteCheckpointer {
  #worker: Worker | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(
    private readonly file: string,
    private readonly onFailure: () => void,
  ) {}

  /** Call after each commit on the writer connection: checkpoints in the background if the WAL grew. */
  afterCommit(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true; // the running checkpoint may have started before this commit
      return;
    }
    if (walBytes(this.file) < CHECKPOINT_WAL_BYTES) return;
    this.#running = this.#checkpointWhileNeeded();
  }

  /** Waits for a running checkpoint, then closes the worker's connection and ends the worker. */
  async close(): Promise<void> {
    this.#stopped = true;
    await this.#running;
    const worker = this.#worker;
    this.#worker = undefined;
    if (!worker) return;
    const exited = once(worker, 'exit');
    worker.ref(); // keep this process alive until the worker has closed its connection
    worker.postMessage('close');
    await exited;
  }

  async #checkpointWhileNeeded(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#checkpoint();
      } while (this.#again && !this.#stopped && walBytes(this.file) >= CHECKPOINT_WAL_BYTES);
    } catch {
      await this.#fail();
    } finally {
      this.#running = undefined;
    }
  }

  async #checkpoint(): Promise<void> {
    const worker = this.#worker ?? this.#start();
    // The reply, or the worker's error or exit (a worker that died must not leave close() waiting).
    const reply = new Promise<void>((resolve, reject) => {
      const settle = (error: Error | null) => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (error === null) resolve();
        else reject(error);
      };
      const onMessage = (error: string | null) => settle(error === null ? null : new Error(error));
      const onError = (error: Error) => settle(error);
      const onExit = (code: number) => settle(new Error(`checkpoint worker exited (${code})`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    // Referenced while a checkpoint runs: the process stays up to finish it (and whoever awaits it
    // is not left hanging by an event loop with nothing else to do); idle, the worker is unref'd.
    worker.ref();
    worker.postMessage('checkpoint');
    try {
      await reply;
    } finally {
      worker.unref();
    }
  }

  #start(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: this.file } });
    // An idle worker must not keep the process alive when close() is forgotten.
    worker.unref();
    // An error between checkpoints (none is expected) must not go unhandled: stop using the worker.
    worker.on('error', () => {
      if (!this.#running) void this.#fail();
    });
    this.#worker = worker;
    return worker;
  }

  /** Stops for good and hands checkpoints back to SQLite (once, whatever reports the failure). */
  async #fail(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    this.#stopped = true;
    await worker.terminate();
    this.onFailure();
  }
}
