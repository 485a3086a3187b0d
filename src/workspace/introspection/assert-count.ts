import { InvalidArgumentError } from '../../errors.js';

/** Rejects a row count option (`n`, `top`) that is not a whole number ≥ 0. */
export function assertCount(option: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`Option '${option}' must be a whole number of rows (0 or more).`, {
      details: { option },
    });
  }
}
