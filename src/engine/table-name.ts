import { InvalidArgumentError } from '../errors.js';

const USER_TABLE = /^[A-Za-z][A-Za-z0-9_]*$/;
/** PostgreSQL truncates identifiers at 63 bytes; refusing longer names keeps all backends alike. */
const MAX_LENGTH = 63;

/**
 * Validates a user table name: a letter, then letters, digits and `_`, at most 63 characters.
 * Names starting with `_` are reserved for the engine's own tables (`_metadata`, staging tables).
 * Names are still quoted in every statement; validation keeps them portable and unsurprising.
 */
export function assertUserTableName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !USER_TABLE.test(name) || name.length > MAX_LENGTH) {
    throw new InvalidArgumentError(
      `Invalid table name ${JSON.stringify(name)}: use a letter followed by letters, digits or '_' ` +
        `(at most ${MAX_LENGTH} characters), e.g. 'events' or 'events_2024'.`,
      { details: { table: typeof name === 'string' ? name : String(name) } },
    );
  }
}

/** A unique name for an engine-internal working table (never visible to readers: it lives in a transaction). */
export function internalTableName(purpose: string): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `_mp_${purpose}_${process.pid}_${random}`;
}
