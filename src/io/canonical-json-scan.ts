/**
 * Canonical JSON text (`canonical-json.ts`) straight from JSON text, in one pass, without building
 * values: the checksum's hot path. Parsing every properties document into objects first (and, with
 * an integer beyond 2^53 anywhere, a second time with lossless-json) was most of a checksum's time.
 *
 * The output is exactly `canonicalJson(parseJsonLossless(text))`:
 * - object members sorted by key (UTF-16 code units), a repeated key keeping its last value;
 * - an integer literal of at most 21 digits keeps its digits (`-0` becomes `0`), as a safe number or
 *   a bigint below 10^21 would print; every other number prints as the double it denotes;
 * - a string prints as `JSON.stringify` writes it: its raw text when that holds no escape, control
 *   character or lone surrogate, else decoded by `JSON.parse` and written again;
 * - no whitespace.
 * It accepts strict JSON only. Anything else (invalid text, or nesting deep enough to exhaust the
 * stack) returns null, and the caller takes the general path, which decides what such text means.
 */

/** Thrown inside the scanner to give the text to the general path. */
const GIVE_UP = new Error('not scanned');

export function scanCanonicalJson(text: string): string | null {
  const scanner = new Scanner(text);
  try {
    scanner.space();
    const out = scanner.value();
    scanner.space();
    return scanner.at === text.length ? out : null;
  } catch {
    // GIVE_UP, a SyntaxError from a string's escapes, or a RangeError from very deep nesting.
    return null;
  }
}

/**
 * `{member,…}` ordered by key (UTF-16 code units, as `Array.prototype.sort` compares strings); of a
 * repeated key only the last member, as JSON.parse keeps it. Members usually arrive unsorted.
 */
function sortedObject(keys: readonly string[], members: readonly string[]): string {
  const order = keys.map((_, i) => i);
  // A stable sort keeps equal keys in source order, so the last of a run is the one JSON.parse keeps.
  order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  let out = '{';
  for (let i = 0; i < order.length; i++) {
    const at = order[i]!;
    const next = order[i + 1];
    if (next !== undefined && keys[next] === keys[at]) continue;
    out += (out.length > 1 ? ',' : '') + members[at];
  }
  return `${out}}`;
}

class Scanner {
  at = 0;
  constructor(readonly text: string) {}

  space(): void {
    const t = this.text;
    let c = t.charCodeAt(this.at);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = t.charCodeAt(++this.at);
  }

  value(): string {
    const c = this.text.charCodeAt(this.at);
    if (c === 123) return this.object();
    if (c === 91) return this.array();
    if (c === 34) return this.string().canonical;
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    if (this.text.startsWith('true', this.at)) return this.word('true');
    if (this.text.startsWith('false', this.at)) return this.word('false');
    if (this.text.startsWith('null', this.at)) return this.word('null');
    throw GIVE_UP;
  }

  word(word: string): string {
    this.at += word.length;
    return word;
  }

  expect(code: number): void {
    if (this.text.charCodeAt(this.at) !== code) throw GIVE_UP;
    this.at++;
  }

  object(): string {
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 125) {
      this.at++;
      return '{}';
    }
    const keys: string[] = [];
    const members: string[] = [];
    for (;;) {
      if (this.text.charCodeAt(this.at) !== 34) throw GIVE_UP;
      const key = this.string();
      // lossless-json would set the prototype instead of a member: the general path decides.
      if (key.decoded === '__proto__') throw GIVE_UP;
      this.space();
      this.expect(58);
      this.space();
      keys.push(key.decoded);
      members.push(`${key.canonical}:${this.value()}`);
      this.space();
      const c = this.text.charCodeAt(this.at++);
      if (c === 125) break;
      if (c !== 44) throw GIVE_UP;
      this.space();
    }
    return sortedObject(keys, members);
  }

  array(): string {
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 93) {
      this.at++;
      return '[]';
    }
    let out = '[';
    for (;;) {
      out += this.value();
      this.space();
      const c = this.text.charCodeAt(this.at++);
      if (c === 93) return `${out}]`;
      if (c !== 44) throw GIVE_UP;
      out += ',';
      this.space();
    }
  }

  string(): { canonical: string; decoded: string } {
    const t = this.text;
    const start = ++this.at;
    let plain = true;
    for (;;) {
      const c = t.charCodeAt(this.at);
      if (c === 34) break;
      if (Number.isNaN(c) || c < 0x20) throw GIVE_UP;
      if (c === 92) {
        plain = false;
        this.at += 2;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        // A well-formed pair prints as it is; a lone surrogate is escaped by JSON.stringify.
        const next = t.charCodeAt(this.at + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) this.at++;
        else plain = false;
      }
      this.at++;
    }
    const end = this.at++;
    if (plain) {
      const raw = t.slice(start, end);
      return { canonical: `"${raw}"`, decoded: raw };
    }
    const decoded = JSON.parse(t.slice(start - 1, end + 1)) as string;
    return { canonical: JSON.stringify(decoded), decoded };
  }

  number(): string {
    const t = this.text;
    const start = this.at;
    if (t.charCodeAt(this.at) === 45) this.at++;
    const first = t.charCodeAt(this.at);
    if (first === 48) this.at++;
    else if (first >= 49 && first <= 57) this.digits();
    else throw GIVE_UP;
    let integer = true;
    if (t.charCodeAt(this.at) === 46) {
      integer = false;
      this.at++;
      if (this.digits() === 0) throw GIVE_UP;
    }
    const e = t.charCodeAt(this.at);
    if (e === 101 || e === 69) {
      integer = false;
      this.at++;
      const sign = t.charCodeAt(this.at);
      if (sign === 43 || sign === 45) this.at++;
      if (this.digits() === 0) throw GIVE_UP;
    }
    const literal = t.slice(start, this.at);
    if (integer && literal.length - (literal.charCodeAt(0) === 45 ? 1 : 0) <= 21) {
      return literal === '-0' ? '0' : literal;
    }
    const n = Number(literal);
    if (!Number.isFinite(n)) return JSON.stringify(String(n));
    return Object.is(n, -0) ? '0' : String(n);
  }

  /** Skips a run of digits; returns how many. */
  digits(): number {
    const t = this.text;
    const start = this.at;
    let c = t.charCodeAt(this.at);
    while (c >= 48 && c <= 57) c = t.charCodeAt(++this.at);
    return this.at - start;
  }
}
