import { AbortedError } from '../errors.js';

/** Throws {@link AbortedError} if `signal` has fired; call between batches of long work. */
export function throwIfAborted(signal: AbortSignal | undefined, operation: string): void {
  if (signal?.aborted) throw new AbortedError(operation, { cause: signal.reason });
}

/** Resolves after `ms`, or rejects with {@link AbortedError} as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal, operation = 'wait'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError(operation, { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError(operation, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
