/**
 * Helpers for calling `mp` commands as functions: an in-memory io and a throwaway environment
 * (config file, data directory and HOME in a temp dir), optionally pointed at a fake Mixpanel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PassThrough, Readable, Writable } from 'node:stream';
import type { CliIo } from '../../../src/cli/cli-io.js';
import type { FakeMixpanel } from '../../../src/testing/index.js';

/** A {@link CliIo} over buffers, with accessors for what was written. */
export interface MemoryIo {
  readonly io: CliIo;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
}

/** Options of {@link memoryIo}. */
export interface MemoryIoOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly isTTY?: boolean;
  readonly stderrIsTTY?: boolean;
  /** Text piped to stdin (a non-TTY stdin). */
  readonly stdin?: string;
  /** A TTY stdin the test writes to (prompts). */
  readonly ttyStdin?: PassThrough;
  readonly signal?: AbortSignal;
}

/** An io whose stdout and stderr are collected in memory. */
export function memoryIo(options: MemoryIoOptions): MemoryIo {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        into.push(chunk.toString());
        callback();
      },
    });
  const stdin =
    options.ttyStdin ??
    (options.stdin === undefined ? undefined : Readable.from([Buffer.from(options.stdin)]));
  const io: CliIo = {
    stdout: sink(out),
    stderr: sink(err),
    env: options.env,
    isTTY: options.isTTY ?? false,
    stderrIsTTY: options.stderrIsTTY ?? options.isTTY ?? false,
    stdinIsTTY: options.ttyStdin !== undefined,
    ...(stdin === undefined ? {} : { stdin }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

/**
 * A throwaway home for one test file: `MP_CONFIG_PATH`, `MP_DATA_DIR` and `HOME` inside a temp dir,
 * plus `PATH` (for spawned processes). Nothing from the real environment leaks in.
 */
export interface TempHome {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** The environment plus the fake's MP_* credentials. */
  envWith(fake: FakeMixpanel, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  remove(): void;
}

/** Creates a {@link TempHome}. */
export function tempHome(prefix = 'mp-cli-'): TempHome {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = {
    MP_CONFIG_PATH: join(dir, 'config.toml'),
    MP_DATA_DIR: join(dir, 'data'),
    HOME: dir,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  return {
    dir,
    env,
    envWith: (fake, extra = {}) => ({ ...env, ...fake.env(), ...extra }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Parses JSON lines (skipping the empty tail). */
export function parseJsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A minimal RFC 4180 CSV parser for asserting our output (quotes, doubled quotes, commas, newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Matches any ANSI escape sequence. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting terminal escape codes is the point
export const ANSI = /\u001b\[/;

/** Text without SGR colour codes. */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing terminal escape codes is the point
  return text.replace(/\u001b\[\d+m/g, '');
}
