/**
 * Day boundaries and exported timestamps for the fake project. Projects created since 2023 use UTC
 * days and true epochs; a legacy project (`legacyTimezone`) uses days in its zone and exports the
 * epoch of the local wall-clock time (section 7.5). Days are numbered from 1970-01-01.
 */

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;
/** Milliseconds in an hour. */
export const HOUR_MS = 3_600_000;

const DAY_KEY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a strict `yyyy-mm-dd` into a day number, or returns `null` for anything else. */
export function parseDayKey(text: string): number | null {
  const match = DAY_KEY.exec(text);
  if (!match) return null;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const day = ms / DAY_MS;
  return formatDayKey(day) === text ? day : null;
}

/** Formats a day number as `yyyy-mm-dd`. */
export function formatDayKey(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Maps true instants to project days and exported times, for UTC or a legacy IANA zone. */
export class ProjectCalendar {
  private readonly format: Intl.DateTimeFormat | null;
  // Offsets only change on quarter-hour boundaries in real zones, so one lookup per quarter hour
  // keeps the legacy path fast enough for large exports.
  private readonly offsetCache = new Map<number, number>();

  constructor(readonly timeZone: string | null) {
    this.format =
      timeZone === null
        ? null
        : new Intl.DateTimeFormat('en-US', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
  }

  /** The zone's offset from UTC at `trueMs`, in ms (0 for UTC projects). */
  offsetMs(trueMs: number): number {
    if (this.format === null) return 0;
    const bucket = Math.floor(trueMs / 900_000);
    let offset = this.offsetCache.get(bucket);
    if (offset === undefined) {
      const at = bucket * 900_000;
      const parts: Record<string, number> = {};
      for (const part of this.format.formatToParts(at)) parts[part.type] = Number(part.value);
      const wall = Date.UTC(
        parts.year ?? 1970,
        (parts.month ?? 1) - 1,
        parts.day ?? 1,
        parts.hour ?? 0,
        parts.minute ?? 0,
        parts.second ?? 0,
      );
      offset = wall - at;
      this.offsetCache.set(bucket, offset);
    }
    return offset;
  }

  /** The epoch the export writes for an event that happened at `trueMs`. */
  toLocalMs(trueMs: number): number {
    return this.format === null ? trueMs : trueMs + this.offsetMs(trueMs);
  }

  /** The project day that holds the true instant `trueMs`. */
  dayOf(trueMs: number): number {
    return Math.floor(this.toLocalMs(trueMs) / DAY_MS);
  }

  /** The true instant at which project day `day` starts (local midnight). */
  dayStartMs(day: number): number {
    const localMidnight = day * DAY_MS;
    if (this.format === null) return localMidnight;
    // Two fixed-point steps settle the offset except inside a DST gap at midnight, where the
    // result is the instant just after the gap: still the first instant of that local day.
    let guess = localMidnight - this.offsetMs(localMidnight);
    guess = localMidnight - this.offsetMs(guess);
    return localMidnight - this.offsetMs(guess);
  }

  /** Today's project day according to the fake clock reading `nowMs`. */
  today(nowMs: number): number {
    return this.dayOf(nowMs);
  }
}
