/**
 * Reads ahead of a slow consumer: a pump pulls `source` into a bounded buffer as soon as
 * {@link Prefetch.start} is called, and the consumer drains it later. A chunk waiting for its turn
 * at the single database writer thus already has its request open and its first records in memory,
 * without memory growing past `highWater` records.
 */
export class Prefetch<T> implements AsyncIterable<T> {
  readonly #source: AsyncIterable<T>;
  readonly #highWater: number;
  #iterator: AsyncIterator<T> | undefined;
  #items: T[] = [];
  #head = 0;
  #done = false;
  #error: { readonly error: unknown } | undefined;
  #stopped = false;
  #consumed = false;
  #wakeConsumer: (() => void) | undefined;
  #wakePump: (() => void) | undefined;
  #pump: Promise<void> | undefined;
  #rejectFailure!: (error: unknown) => void;
  /**
   * Rejects with the source's error as soon as the source fails (never resolves otherwise). Lets a
   * caller that is still waiting for its turn give up at once.
   */
  readonly failure: Promise<never>;

  constructor(source: AsyncIterable<T>, highWater: number) {
    this.#source = source;
    this.#highWater = Math.max(1, highWater);
    this.failure = new Promise<never>((_, reject) => {
      this.#rejectFailure = reject;
    });
    // Handled here so a failure nobody races for is not an unhandled rejection.
    this.failure.catch(() => undefined);
  }

  /** Starts reading ahead (idempotent). */
  start(): void {
    this.#pump ??= this.#run();
  }

  get #buffered(): number {
    return this.#items.length - this.#head;
  }

  async #run(): Promise<void> {
    try {
      this.#iterator = this.#source[Symbol.asyncIterator]();
      while (!this.#stopped) {
        if (this.#buffered >= this.#highWater) {
          await new Promise<void>((resolve) => {
            this.#wakePump = resolve;
          });
          continue;
        }
        const next = await this.#iterator.next();
        if (next.done) {
          this.#done = true;
          break;
        }
        this.#items.push(next.value);
        this.#notifyConsumer();
      }
    } catch (error) {
      this.#error = { error };
      this.#rejectFailure(error);
    } finally {
      this.#done = true;
      this.#notifyConsumer();
    }
  }

  #notifyConsumer(): void {
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    wake?.();
  }

  #take(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined as T;
    this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.#wakePump !== undefined && this.#buffered <= this.#highWater / 2) {
      const wake = this.#wakePump;
      this.#wakePump = undefined;
      wake();
    }
    return item;
  }

  /** Yields the buffered records, then the rest as they arrive; throws the source's error. Single use. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#consumed) throw new TypeError('A prefetched source can be read only once.');
    this.#consumed = true;
    this.start();
    while (true) {
      if (this.#buffered > 0) {
        yield this.#take();
        continue;
      }
      if (this.#error !== undefined) throw this.#error.error;
      if (this.#done) return;
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve;
      });
    }
  }

  /** Stops reading ahead and closes the source (its `finally` blocks run: the request is released). */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#items = [];
    this.#head = 0;
    const wake = this.#wakePump;
    this.#wakePump = undefined;
    wake?.();
    if (!this.#done) {
      // A pending next() keeps the generator busy; return() is queued behind it and closes the stream.
      await this.#iterator?.return?.().catch(() => undefined);
    }
    await this.#pump?.catch(() => undefined);
  }
}
