/**
 * Terminal colour, only for humans: on a TTY, never when `NO_COLOR` is set to a non-empty value
 * (https://no-color.org) or `TERM=dumb`. Piped output and files never get escape codes.
 */
export function colourEnabled(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (!isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** SGR styles used by the CLI. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

const CODES: Readonly<Record<Style, readonly [number, number]>> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** A painter: wraps text in a style when colour is on, returns it unchanged otherwise. */
export type Paint = (style: Style, text: string) => string;

/** The painter for a stream. */
export function painter(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text;
  return (style, text) => {
    const [on, off] = CODES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  };
}
