import { AbortedError } from '../errors.js';

/** An internal abort controller that also fires when the caller's signal does. */
export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** Fires the internal signal (e.g. to stop sibling chunks after a fatal error). */
  abort(): void;
  /** Stops listening to the caller's signal. */
  dispose(): void;
}

/** Links a fresh controller to `parent` (which may be undefined). */
export function linkedAbort(parent: AbortSignal | undefined): LinkedAbort {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    dispose: () => parent?.removeEventListener('abort', onAbort),
  };
}

/** Waits for `promise`, or rejects with {@link AbortedError} as soon as `signal` fires. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, operation: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError(operation, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(operation, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
