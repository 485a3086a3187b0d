import { type FakeJsonValue, numberText, quoteKey, quoteString, toJsonText } from './json-text.js';

/** A property name with its JSON-quoted form computed once. */
export interface PropKey {
  readonly name: string;
  readonly quoted: string;
  /** `,"name":`, what the line writer puts before the value. */
  readonly prefix: string;
}

/** Makes a {@link PropKey}. */
export function propKey(name: string): PropKey {
  const quoted = quoteKey(name);
  return Object.freeze({ name, quoted, prefix: `,${quoted}:` });
}

/** Several string properties that always travel together, with their line text prepared once. */
export class PropBlock {
  /** `,"k1":"v1","k2":"v2"…`, exactly what the line writer would produce property by property. */
  readonly text: string;

  constructor(readonly entries: readonly (readonly [PropKey, string])[]) {
    this.text = entries.map(([key, value]) => key.prefix + quoteString(value)).join('');
  }
}

/** The head of an event: everything except its free-form properties. */
export interface FakeEventHead {
  readonly event: string;
  /** Project day number (days since 1970-01-01 in the project calendar). */
  readonly day: number;
  /** Position of the event in its day's generation order (time order). */
  readonly slot: number;
  /** The true UTC instant. */
  readonly trueTimeMs: number;
  /** The exported `time` in ms: true UTC, or project-local wall clock for a legacy project. */
  readonly timeMs: number;
  /** `undefined` means the property is absent from the line. */
  readonly distinctId: string | undefined;
  /** `undefined` means the property is absent from the line. */
  readonly insertId: string | undefined;
  readonly processingTimeMs: number;
}

/**
 * Receives one event as the generator produces it. The generator has one code path and two sinks:
 * one builds the object model (for `where`, reports and `expected`), the other writes the export
 * line directly, which is what keeps the export fast. Both see the same calls in the same order, so
 * the line and the object cannot drift apart.
 */
export interface PropertySink {
  begin(head: FakeEventHead): void;
  /** A string that may need escaping. */
  str(key: PropKey, value: string): void;
  /** A string known to need no escaping (hex ids, fixed ASCII). */
  plain(key: PropKey, value: string): void;
  num(key: PropKey, value: number): void;
  bool(key: PropKey, value: boolean): void;
  /** Anything else: null, bigint, lists, objects. */
  json(key: PropKey, value: FakeJsonValue): void;
  /** A prepared run of string properties. */
  block(block: PropBlock): void;
}

/** Builds the `rest` object of an event. */
export class ObjectSink implements PropertySink {
  rest: Record<string, FakeJsonValue> = {};

  begin(): void {
    this.rest = {};
  }
  str(key: PropKey, value: string): void {
    this.rest[key.name] = value;
  }
  plain(key: PropKey, value: string): void {
    this.rest[key.name] = value;
  }
  num(key: PropKey, value: number): void {
    this.rest[key.name] = value;
  }
  bool(key: PropKey, value: boolean): void {
    this.rest[key.name] = value;
  }
  json(key: PropKey, value: FakeJsonValue): void {
    this.rest[key.name] = value;
  }
  block(block: PropBlock): void {
    for (const [key, value] of block.entries) this.rest[key.name] = value;
  }
}

const quotedNames = new Map<string, string>();

/** `JSON.stringify(name)` for event names, memoised. */
export function quoteEventName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = JSON.stringify(name);
    quotedNames.set(name, quoted);
  }
  return quoted;
}

/** Writes the export line of an event as the generator produces it. */
export class LineSink implements PropertySink {
  private text = '';
  timeInMs = false;

  begin(head: FakeEventHead): void {
    const time = this.timeInMs ? head.timeMs : Math.floor(head.timeMs / 1000);
    let text = `{"event":${quoteEventName(head.event)},"properties":{"time":${numberText(time)}`;
    if (head.distinctId !== undefined) text += `,"distinct_id":${quoteString(head.distinctId)}`;
    // Insert ids are generated from [0-9a-f-] only, so they need no escaping.
    if (head.insertId !== undefined) text += `,"$insert_id":"${head.insertId}"`;
    this.text = `${text},"mp_processing_time_ms":${numberText(head.processingTimeMs)}`;
  }
  // Few concatenations per property: each `+` makes a rope node, and allocation is the main cost.
  str(key: PropKey, value: string): void {
    this.text += key.prefix + quoteString(value);
  }
  plain(key: PropKey, value: string): void {
    this.text += `${key.prefix}"${value}"`;
  }
  num(key: PropKey, value: number): void {
    this.text += key.prefix + numberText(value);
  }
  bool(key: PropKey, value: boolean): void {
    this.text += key.prefix + (value ? 'true' : 'false');
  }
  json(key: PropKey, value: FakeJsonValue): void {
    this.text += key.prefix + toJsonText(value);
  }
  block(block: PropBlock): void {
    this.text += block.text;
  }

  /** The finished line, newline included. */
  line(): string {
    return `${this.text}}}\n`;
  }
}

/** Passes calls through, replacing the head and chosen property values (how duplicates differ). */
export class OverrideSink implements PropertySink {
  inner: PropertySink | null = null;
  head: FakeEventHead | null = null;
  readonly strings = new Map<PropKey, string>();
  readonly numbers = new Map<PropKey, number>();

  begin(head: FakeEventHead): void {
    this.inner?.begin(this.head ?? head);
  }
  str(key: PropKey, value: string): void {
    this.inner?.str(key, this.strings.get(key) ?? value);
  }
  plain(key: PropKey, value: string): void {
    this.inner?.plain(key, value);
  }
  num(key: PropKey, value: number): void {
    this.inner?.num(key, this.numbers.get(key) ?? value);
  }
  bool(key: PropKey, value: boolean): void {
    this.inner?.bool(key, value);
  }
  json(key: PropKey, value: FakeJsonValue): void {
    this.inner?.json(key, value);
  }
  block(block: PropBlock): void {
    if (block.entries.some(([key]) => this.strings.has(key))) {
      for (const [key, value] of block.entries) this.str(key, value);
    } else {
      this.inner?.block(block);
    }
  }
}
