/**
 * The subset of Mixpanel's segmentation expressions the fake understands (section 3.6):
 * `properties["name"]`, string/number/boolean literals, list literals, `==`, `!=`, `>`, `>=`, `<`,
 * `<=`, `in` (substring or list membership), `and`, `or`, `not`, unary `-`, `defined(...)` and
 * `datetime(<epoch seconds> | "YYYY-MM-DDTHH:MM:SS")`. Anything else is rejected with a
 * {@link WhereExpressionError}, which the endpoints turn into a 400, so a test can never pass
 * because a filter was silently ignored.
 *
 * Semantics: `==` between different types is false and `!=` is its negation; ordering comparisons
 * work on two numbers, two strings (code-unit order, which is how ISO dates compare) or two
 * datetimes (a datetime also compares with an ISO string), and are false otherwise; `and`, `or`
 * and `not` treat undefined and null as false; `defined(x)` is true when x is neither missing nor
 * null.
 */

import { equal, order, truthy, WhereDateTime, type WhereValue } from './where-values.js';

export { WhereDateTime, type WhereValue } from './where-values.js';

/** Reads a property of the record being filtered; `undefined` means the property is absent. */
export type PropertyLookup = (name: string) => WhereValue;

/** A compiled expression: returns whether the record matches. */
export type WherePredicate = (lookup: PropertyLookup) => boolean;

/** A where expression the fake cannot parse or does not support; the message names it. */
export class WhereExpressionError extends Error {
  constructor(
    readonly expression: string,
    problem: string,
  ) {
    super(`Unsupported or invalid where expression for the fake server: ${expression} (${problem})`);
    this.name = 'WhereExpressionError';
  }
}

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number | bigint }
  | { kind: 'word'; value: string }
  | { kind: 'op'; value: string };

type Evaluate = (lookup: PropertyLookup) => WhereValue;

const OPERATORS = ['==', '!=', '>=', '<=', '>', '<', '(', ')', '[', ']', ',', '-'];
const UNSUPPORTED_OPERATORS = ['+', '*', '/', '%', '=', '!', '&', '|'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (problem: string): never => {
    throw new WhereExpressionError(source, problem);
  };
  while (i < source.length) {
    const ch = source[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ch === "'") {
      let value = '';
      i++;
      while (i < source.length && source[i] !== ch) {
        if (source[i] === '\\') {
          const next = source[i + 1];
          if (next === undefined) fail('unterminated string');
          const escapes: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '"': '"',
            "'": "'",
            '\\': '\\',
          };
          if (next === 'u') {
            const code = source.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(code)) fail('bad \\u escape');
            value += String.fromCharCode(Number.parseInt(code, 16));
            i += 6;
          } else {
            value += escapes[next as string] ?? fail(`unknown escape \\${next}`);
            i += 2;
          }
        } else {
          value += source[i];
          i++;
        }
      }
      if (i >= source.length) fail('unterminated string');
      i++;
      tokens.push({ kind: 'string', value });
    } else if (/[0-9.]/.test(ch)) {
      const match = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i));
      if (!match) fail(`bad number at ${i}`);
      const text = (match as RegExpExecArray)[0];
      const asNumber = Number(text);
      // Integer literals beyond 2^53 keep their digits, so `== 3928097563762691601` is exact.
      const value = /^\d+$/.test(text) && !Number.isSafeInteger(asNumber) ? BigInt(text) : asNumber;
      tokens.push({ kind: 'number', value });
      i += text.length;
    } else if (/[A-Za-z_$]/.test(ch)) {
      const text = (/^[A-Za-z_$][\w$]*/.exec(source.slice(i)) as RegExpExecArray)[0];
      tokens.push({ kind: 'word', value: text });
      i += text.length;
    } else {
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (op === undefined) {
        fail(
          UNSUPPORTED_OPERATORS.includes(ch)
            ? `operator ${ch} is not supported`
            : `unexpected character ${ch}`,
        );
      }
      tokens.push({ kind: 'op', value: op as string });
      i += (op as string).length;
    }
  }
  return tokens;
}

class Parser {
  private position = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Evaluate {
    const result = this.parseOr();
    if (this.position < this.tokens.length) this.fail(`unexpected ${this.describe(this.peek())}`);
    return result;
  }

  private fail(problem: string): never {
    throw new WhereExpressionError(this.source, problem);
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private describe(token: Token | undefined): string {
    return token === undefined ? 'end of expression' : `'${String(token.value)}'`;
  }

  private isWord(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.value === value;
  }

  private isOp(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'op' && token.value === value;
  }

  private expectOp(value: string): void {
    if (!this.isOp(value)) this.fail(`expected '${value}' but found ${this.describe(this.peek())}`);
    this.position++;
  }

  private parseOr(): Evaluate {
    let left = this.parseAnd();
    while (this.isWord('or')) {
      this.position++;
      const a = left;
      const b = this.parseAnd();
      left = (lookup) => truthy(a(lookup)) || truthy(b(lookup));
    }
    return left;
  }

  private parseAnd(): Evaluate {
    let left = this.parseNot();
    while (this.isWord('and')) {
      this.position++;
      const a = left;
      const b = this.parseNot();
      left = (lookup) => truthy(a(lookup)) && truthy(b(lookup));
    }
    return left;
  }

  private parseNot(): Evaluate {
    if (this.isWord('not')) {
      this.position++;
      const inner = this.parseNot();
      return (lookup) => !truthy(inner(lookup));
    }
    return this.parseComparison();
  }

  private parseComparison(): Evaluate {
    const left = this.parseUnary();
    const token = this.peek();
    if (token?.kind === 'op' && ['==', '!=', '>', '>=', '<', '<='].includes(token.value)) {
      this.position++;
      const right = this.parseUnary();
      switch (token.value) {
        case '==':
          return (lookup) => equal(left(lookup), right(lookup));
        case '!=':
          return (lookup) => !equal(left(lookup), right(lookup));
        default: {
          const test = {
            '>': (o: number) => o > 0,
            '>=': (o: number) => o >= 0,
            '<': (o: number) => o < 0,
            '<=': (o: number) => o <= 0,
          }[token.value as '>' | '>=' | '<' | '<='];
          return (lookup) => {
            const o = order(left(lookup), right(lookup));
            return o !== null && test(o);
          };
        }
      }
    }
    if (token?.kind === 'word' && token.value === 'in') {
      this.position++;
      const right = this.parseUnary();
      return (lookup) => {
        const needle = left(lookup);
        const haystack = right(lookup);
        if (typeof haystack === 'string') return typeof needle === 'string' && haystack.includes(needle);
        if (Array.isArray(haystack)) return haystack.some((item) => equal(needle, item));
        return false;
      };
    }
    return left;
  }

  private parseUnary(): Evaluate {
    if (this.isOp('-')) {
      this.position++;
      const inner = this.parseUnary();
      return (lookup) => {
        const value = inner(lookup);
        return typeof value === 'number' || typeof value === 'bigint' ? -value : undefined;
      };
    }
    const operand = this.parsePrimary();
    if (this.isOp('-')) this.fail('operator - is not supported');
    return operand;
  }

  private parsePrimary(): Evaluate {
    const token = this.peek();
    if (token === undefined) return this.fail('unexpected end of expression');
    this.position++;
    if (token.kind === 'string' || token.kind === 'number') {
      const value = token.value;
      return () => value;
    }
    if (token.kind === 'op') {
      if (token.value === '(') {
        const inner = this.parseOr();
        this.expectOp(')');
        return inner;
      }
      if (token.value === '[') return this.parseList();
      return this.fail(`unexpected '${token.value}'`);
    }
    switch (token.value) {
      case 'true':
        return () => true;
      case 'false':
        return () => false;
      case 'properties': {
        this.expectOp('[');
        const name = this.peek();
        if (name?.kind !== 'string') return this.fail('properties[...] needs a quoted property name');
        this.position++;
        this.expectOp(']');
        const key = name.value;
        return (lookup) => lookup(key);
      }
      case 'defined': {
        this.expectOp('(');
        const inner = this.parseOr();
        this.expectOp(')');
        return (lookup) => {
          const value = inner(lookup);
          return value !== undefined && value !== null;
        };
      }
      case 'datetime':
        return this.parseDateTime();
      default:
        return this.fail(`'${token.value}' is not supported`);
    }
  }

  private parseDateTime(): Evaluate {
    this.expectOp('(');
    const arg = this.peek();
    this.position++;
    let ms: number;
    if (arg?.kind === 'number') {
      ms = Number(arg.value) * 1000;
    } else if (arg?.kind === 'string' && /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$/.test(arg.value)) {
      ms = Date.parse(arg.value.length === 10 ? `${arg.value}T00:00:00Z` : `${arg.value}Z`);
    } else {
      return this.fail('datetime() takes epoch seconds or "YYYY-MM-DDTHH:MM:SS"');
    }
    if (!Number.isFinite(ms)) this.fail('datetime() argument is not a valid date');
    this.expectOp(')');
    const value = new WhereDateTime(ms);
    return () => value;
  }

  private parseList(): Evaluate {
    const items: WhereValue[] = [];
    while (!this.isOp(']')) {
      const token = this.peek();
      if (token === undefined) this.fail('unterminated list');
      this.position++;
      if (token?.kind === 'string' || token?.kind === 'number') items.push(token.value);
      else if (token?.kind === 'word' && (token.value === 'true' || token.value === 'false')) {
        items.push(token.value === 'true');
      } else this.fail('lists may only hold string, number or boolean literals');
      if (this.isOp(',')) this.position++;
      else if (!this.isOp(']')) this.fail(`expected ',' or ']' but found ${this.describe(this.peek())}`);
    }
    this.position++;
    return () => items;
  }
}

/**
 * Parses an expression once and returns its value function (used for segmentation's `on`).
 * @throws WhereExpressionError for syntax outside the supported subset.
 */
export function compileExpression(source: string): (lookup: PropertyLookup) => WhereValue {
  return new Parser(source, tokenize(source)).parse();
}

/**
 * Parses a where expression once; the returned predicate runs per record.
 * @throws WhereExpressionError for syntax outside the supported subset.
 */
export function compileWhere(source: string): WherePredicate {
  const text = source.trim();
  if (text.length === 0) return () => true;
  const evaluate = new Parser(source, tokenize(source)).parse();
  return (lookup) => truthy(evaluate(lookup));
}
