import type { Readable } from 'node:stream';
import type { CliIo } from './cli-io.js';
import { AbortedError } from './library.js';

/** Reads all of stdin as text (piped secrets, SQL). An absent stdin reads as ''. */
export async function readStdin(io: CliIo): Promise<string> {
  if (io.stdin === undefined) return '';
  let text = '';
  io.stdin.setEncoding('utf8');
  for await (const chunk of io.stdin) text += chunk as string;
  return text;
}

/** A TTY stdin's raw-mode switch (absent on pipes). */
interface RawModeStream extends Readable {
  setRawMode?(mode: boolean): unknown;
}

/**
 * Asks for a secret on the terminal without echoing it: the prompt goes to stderr and nothing of
 * what is typed is written anywhere. Ctrl-C aborts. Needs a TTY stdin.
 */
export function promptHidden(io: CliIo, question: string): Promise<string> {
  const input = io.stdin as RawModeStream | undefined;
  if (input === undefined) return Promise.resolve('');
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    input.setRawMode?.(true);
    input.setEncoding('utf8');
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new AbortedError('reading the secret'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/** Asks a yes/no question on the terminal; only `y`/`yes` is yes. */
export function confirm(io: CliIo, question: string): Promise<boolean> {
  const input = io.stdin;
  if (input === undefined) return Promise.resolve(false);
  io.stderr.write(`${question} [y/N] `);
  return new Promise((resolve) => {
    input.setEncoding('utf8');
    const onData = (chunk: string) => {
      input.off('data', onData);
      input.pause();
      resolve(/^\s*y(es)?\s*$/i.test(chunk));
    };
    input.on('data', onData);
    input.resume();
  });
}
