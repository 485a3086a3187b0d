import { describe, expect, it } from 'vitest';
import { CliExit, EXIT_CODES, exitCodeFor } from '../../src/cli/exit-codes.js';
import { jsonText, toJsonValue } from '../../src/cli/output/json-value.js';
import { printData, printRecord, printRowStream, printValue } from '../../src/cli/output.js';
import { reportError, retryHint } from '../../src/cli/report-error.js';
import {
  AbortedError,
  AccountNotFoundError,
  ApiError,
  AuthenticationError,
  ConfigError,
  DatabaseLockedError,
  DatabaseNotFoundError,
  FileNotFoundError,
  InvalidArgumentError,
  QueryError,
  RateLimitError,
  TableExistsError,
  TableNotFoundError,
} from '../../src/index.js';
import { ANSI, memoryIo, parseCsv, parseJsonLines } from './support/cli-harness.js';

const BIG = 9007199254740993n; // 2^53 + 1: not representable as a double
const rows = [
  {
    id: BIG,
    name: 'Café, "quoted"\nline',
    n: 3,
    at: new Date('2024-06-01T10:00:00Z'),
    tags: ['a', 'b'],
    none: null,
  },
  { id: 7, name: 'plain', n: 10, at: new Date('2024-06-02T00:00:00Z'), tags: [], none: null },
];

function io(env: NodeJS.ProcessEnv = {}, isTTY = false) {
  return memoryIo({ env, isTTY });
}

describe('output formats', () => {
  it('json: an array of objects; bigints as exact strings, dates as ISO, safe integers as numbers', async () => {
    const m = io();
    await printData(m.io, 'json', rows);
    const parsed = JSON.parse(m.stdout()) as Record<string, unknown>[];
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toEqual({
      id: '9007199254740993',
      name: 'Café, "quoted"\nline',
      n: 3,
      at: '2024-06-01T10:00:00.000Z',
      tags: ['a', 'b'],
      none: null,
    });
    expect(parsed[1]?.id).toBe(7);
  });

  it('jsonl: one object per line', async () => {
    const m = io();
    await printData(m.io, 'jsonl', rows);
    const lines = parseJsonLines(m.stdout());
    expect(lines.map((l) => l.id)).toEqual(['9007199254740993', 7]);
    expect(lines[0]?.name).toBe('Café, "quoted"\nline');
  });

  it('csv: a header, RFC 4180 quoting of commas, quotes and newlines, bigints with all digits', async () => {
    const m = io();
    await printData(m.io, 'csv', rows);
    const parsed = parseCsv(m.stdout());
    expect(parsed[0]).toEqual(['id', 'name', 'n', 'at', 'tags', 'none']);
    expect(parsed[1]).toEqual([
      '9007199254740993',
      'Café, "quoted"\nline',
      '3',
      '2024-06-01T10:00:00.000Z',
      '["a","b"]',
      '',
    ]);
    expect(parsed).toHaveLength(3);
  });

  it('plain: tab-separated, no header, tabs and newlines escaped', async () => {
    const m = io();
    await printData(m.io, 'plain', [{ a: 'x\ty', b: 'l1\nl2' }]);
    expect(m.stdout()).toBe('x\\ty\tl1\\nl2\n');
  });

  it('table: aligned columns, numbers right-aligned, long cells cut, no colour off a TTY', async () => {
    const m = io();
    await printData(m.io, 'table', [
      { event: 'Page View', count: 5 },
      { event: 'x'.repeat(100), count: 12345 },
    ]);
    const lines = m.stdout().split('\n');
    expect(lines[0]).toBe(`event${' '.repeat(55)}  count`);
    expect(lines[2]).toBe(`Page View${' '.repeat(51)}      5`);
    expect(lines[3]).toBe(`${'x'.repeat(59)}…  12345`);
    expect(m.stdout()).not.toMatch(ANSI);
  });

  it('colour on a TTY, none with NO_COLOR', async () => {
    const tty = io({}, true);
    await printData(tty.io, 'table', [{ a: 1 }]);
    expect(tty.stdout()).toMatch(ANSI);
    const noColor = io({ NO_COLOR: '1' }, true);
    await printData(noColor.io, 'table', [{ a: 1 }]);
    expect(noColor.stdout()).not.toMatch(ANSI);
    expect(noColor.stdout()).toContain('a');
  });

  it('a record prints vertically as a table and as one object in json', async () => {
    const t = io();
    await printRecord(t.io, 'table', { table: 'events', rowsStored: 12 });
    expect(t.stdout()).toBe('table       events\nrowsStored  12\n');
    const j = io();
    await printRecord(j.io, 'json', { table: 'events', big: BIG });
    expect(JSON.parse(j.stdout())).toEqual({ table: 'events', big: '9007199254740993' });
  });

  it('scalars print bare, or as JSON values', async () => {
    const plain = io();
    await printValue(plain.io, 'table', BIG);
    expect(plain.stdout()).toBe('9007199254740993\n');
    const json = io();
    await printValue(json.io, 'json', BIG);
    expect(JSON.parse(json.stdout())).toBe('9007199254740993');
  });

  it('streams batches: json stays one valid array, table measures the first rows', async () => {
    async function* batches() {
      const columns = [
        { name: 'n', type: 'BIGINT' },
        { name: 's', type: 'VARCHAR' },
      ];
      for (let b = 0; b < 5; b++) {
        yield { columns, rows: Array.from({ length: 100 }, (_, i) => [b * 100 + i, `row ${b * 100 + i}`]) };
      }
    }
    const json = io();
    expect(await printRowStream(json.io, 'json', batches())).toBe(500);
    const parsed = JSON.parse(json.stdout()) as { n: number; s: string }[];
    expect(parsed).toHaveLength(500);
    expect(parsed[499]).toEqual({ n: 499, s: 'row 499' });

    const table = io();
    expect(await printRowStream(table.io, 'table', batches())).toBe(500);
    expect(
      table
        .stdout()
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(502);

    const empty = io();
    expect(await printRowStream(empty.io, 'json', (async function* () {})())).toBe(0);
    expect(JSON.parse(empty.stdout())).toEqual([]);
  });

  it('toJsonValue handles nested bigints, NaN and lossless-json numbers', () => {
    expect(toJsonValue({ a: [{ b: BIG }], c: Number.NaN })).toEqual({
      a: [{ b: '9007199254740993' }],
      c: 'NaN',
    });
    expect(jsonText({ isLosslessNumber: true, value: '12345678901234567890' })).toBe(
      '"12345678901234567890"',
    );
    expect(jsonText({ isLosslessNumber: true, value: '1.5' })).toBe('1.5');
  });
});

describe('exit codes', () => {
  const cases: [unknown, number][] = [
    [new InvalidArgumentError('bad'), EXIT_CODES.invalidArguments],
    [new ConfigError('bad key'), EXIT_CODES.invalidArguments],
    [Object.assign(new Error("error: unknown option '--nope'"), { code: 'commander.unknownOption' }), 3],
    [Object.assign(new Error('(outputHelp)'), { code: 'commander.helpDisplayed' }), EXIT_CODES.ok],
    [new AuthenticationError('401'), EXIT_CODES.authentication],
    [new TableNotFoundError('events'), EXIT_CODES.notFound],
    [new DatabaseNotFoundError('/x.db'), EXIT_CODES.notFound],
    [new AccountNotFoundError('prod'), EXIT_CODES.notFound],
    [new FileNotFoundError('q.sql'), EXIT_CODES.notFound],
    [new RateLimitError('429', new Date(), 'export', 'export'), EXIT_CODES.rateLimited],
    [new DatabaseLockedError('/x.db', 123), EXIT_CODES.databaseLocked],
    [new AbortedError('fetch'), EXIT_CODES.interrupted],
    [Object.assign(new Error('aborted'), { name: 'AbortError' }), EXIT_CODES.interrupted],
    [new QueryError('syntax', 'SELEC'), EXIT_CODES.general],
    [new TableExistsError('events'), EXIT_CODES.general],
    [new ApiError('500', { endpoint: 'export', retryable: true }), EXIT_CODES.general],
    [new CliExit(EXIT_CODES.general), EXIT_CODES.general],
    [new TypeError('bug'), EXIT_CODES.general],
  ];
  it.each(cases)('%s → %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });
});

describe('error reports', () => {
  it('text: one line with the code, the remedy lines, a hint', () => {
    const m = io();
    reportError(m.io, new DatabaseLockedError('/tmp/x.db', 4242));
    const lines = m.stderr().trimEnd().split('\n');
    expect(lines[0]).toBe('Error: Database locked by process 4242: /tmp/x.db [DATABASE_LOCKED]');
    expect(lines[1]).toContain('--wait SECONDS');
    expect(m.stdout()).toBe('');
  });

  it('json: {error: {code, message, details, hint}} on stderr', () => {
    const m = io();
    const retryAt = new Date(Date.now() + 42_000);
    reportError(m.io, new RateLimitError('Rate limited', retryAt, 'export', 'export'), { format: 'json' });
    const body = JSON.parse(m.stderr()) as { error: Record<string, unknown> };
    expect(body.error.code).toBe('API_RATE_LIMITED');
    expect(body.error.details).toMatchObject({ retryAt: retryAt.toISOString(), bucket: 'export' });
    expect(body.error.hint).toMatch(/retry in 4[12] s/);
  });

  it('masks secrets from the environment wherever they appear', () => {
    const m = io({ MP_SECRET: 'sekrit-value-123' });
    reportError(m.io, new Error('boom with sekrit-value-123 inside'), { format: 'json', verbose: true });
    reportError(m.io, new Error('again sekrit-value-123'), { verbose: true });
    expect(m.stderr()).not.toContain('sekrit-value-123');
    expect(m.stderr()).toContain('****');
  });

  it('says how long to wait when rate limited', () => {
    expect(retryHint(new Date(10_500), 0)).toBe(
      "Mixpanel's rate limit is exhausted: retry in 11 s (after 1970-01-01T00:00:10.500Z).",
    );
  });
});
