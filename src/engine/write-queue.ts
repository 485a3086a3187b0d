/**
 * Serialises the writes of one StorageEngine: a second `create*`/`append*` waits for the first
 * instead of colliding with its open transaction. Reads never wait.
 */
export class WriteQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every previously queued write has settled. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(work, work);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
