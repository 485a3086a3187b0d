/** One item of a `RateLimit` or `RateLimit-Policy` header (IETF draft format). */
export interface RateLimitItem {
  /** The policy name, e.g. `project` or `project-concurrency`. */
  name: string;
  /** Parameters by key; numeric values are numbers, quoted ones strings. */
  params: Record<string, number | string | true>;
}

/**
 * Parses a structured-field list such as
 * `"project";q=60;w=3600, "project-concurrency";q=5;qu="concurrent-requests"`.
 * Unparsable items are skipped; never throws.
 */
export function parseRateLimitList(header: string | undefined): RateLimitItem[] {
  if (header === undefined || header.trim() === '') return [];
  const items: RateLimitItem[] = [];
  for (const rawItem of splitOutsideQuotes(header, ',')) {
    const parts = splitOutsideQuotes(rawItem, ';').map((p) => p.trim());
    const first = parts[0];
    if (first === undefined || first === '') continue;
    const item: RateLimitItem = { name: unquote(first), params: {} };
    for (const part of parts.slice(1)) {
      const eq = part.indexOf('=');
      if (eq === -1) {
        if (part !== '') item.params[part] = true;
        continue;
      }
      const key = part.slice(0, eq).trim();
      const raw = part.slice(eq + 1).trim();
      item.params[key] = raw.startsWith('"') ? unquote(raw) : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    }
    items.push(item);
  }
  return items;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\' && quoted && i + 1 < text.length) {
      current += ch + text[i + 1]!;
      i++;
      continue;
    }
    if (ch === separator && !quoted) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

/** What a 429 (or any response) says about the quota. */
export interface RateLimitInfo {
  /** Hourly quota learned from `RateLimit-Policy` (`project`;q). */
  quota?: number;
  /** Quota window in ms (`project`;w). */
  windowMs?: number;
  /** Concurrency quota (`project-concurrency`;q). */
  concurrency?: number;
  /** Which limit ran out, when the `RateLimit` header says so. */
  exhausted?: 'quota' | 'concurrency';
  /** Milliseconds until the exhausted limit resets (`t` of that item). */
  resetMs?: number;
}

/** Reads `RateLimit-Policy` and `RateLimit` headers. */
export function readRateLimitHeaders(
  policyHeader: string | undefined,
  stateHeader: string | undefined,
): RateLimitInfo {
  const info: RateLimitInfo = {};
  for (const item of parseRateLimitList(policyHeader)) {
    const q = item.params.q;
    if (typeof q !== 'number' || q <= 0) continue;
    if (isConcurrency(item)) info.concurrency = q;
    else {
      info.quota = q;
      const w = item.params.w;
      if (typeof w === 'number' && w > 0) info.windowMs = w * 1000;
    }
  }
  for (const item of parseRateLimitList(stateHeader)) {
    const r = item.params.r;
    if (r !== 0) continue;
    const kind = isConcurrency(item) ? 'concurrency' : 'quota';
    const t = item.params.t;
    // The hourly quota wins over concurrency when both are exhausted.
    if (info.exhausted === 'quota' && kind === 'concurrency') continue;
    info.exhausted = kind;
    if (typeof t === 'number' && t >= 0) info.resetMs = Math.round(t * 1000);
    else delete info.resetMs;
  }
  return info;
}

function isConcurrency(item: RateLimitItem): boolean {
  return item.name.includes('concurren') || item.params.qu === 'concurrent-requests';
}
