import { hashString, hex } from './prng.js';

/** Why a page's `session_id` was refused. */
export type SessionProblem = 'unknown' | 'expired' | 'mismatch';

interface Session {
  readonly filtersKey: string;
  readonly createdAt: number;
}

/**
 * Engage paging sessions. An id is a pure function of (seed, filters, fake second), so the same
 * query at the same fake time gets the same id; a session remembers its filters, and a later page
 * with other filters, or after `ttlMs` of fake time, is refused.
 */
export class EngageSessions {
  private sessions = new Map<string, Session>();

  constructor(
    private readonly seedHash: number,
    private readonly ttlMs: number,
  ) {}

  /** Opens (or reopens) the session for page 0 of a query. */
  open(filtersKey: string, nowMs: number): string {
    const seconds = Math.floor(nowMs / 1000);
    const id = `${seconds}-${hex(hashString(`${this.seedHash}\u0000${filtersKey}`), 6)}`;
    // A long-running `mp fake-server` must not grow without bound: drop expired sessions now and then.
    if (this.sessions.size >= 1000) {
      for (const [key, session] of this.sessions)
        if (nowMs - session.createdAt > this.ttlMs) this.sessions.delete(key);
    }
    this.sessions.set(id, { filtersKey, createdAt: nowMs });
    return id;
  }

  /** Checks a later page's session, or names the problem. */
  check(id: string, filtersKey: string, nowMs: number): SessionProblem | null {
    const session = this.sessions.get(id);
    if (session === undefined) return 'unknown';
    if (nowMs - session.createdAt > this.ttlMs) return 'expired';
    if (session.filtersKey !== filtersKey) return 'mismatch';
    return null;
  }

  /** Forgets every session. */
  clear(): void {
    this.sessions = new Map();
  }
}
