import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';

/** A throwaway home directory with `.mp/config.toml` helpers; removed after each test. */
export interface TempHome {
  /** The fake home directory. */
  readonly home: string;
  /** `{home}/.mp/config.toml`. */
  readonly file: string;
  /** Writes the config file (creating `.mp`). */
  write(text: string): void;
  /** Reads the config file back. */
  read(): string;
}

const created: string[] = [];

afterEach(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Creates a temp home registered for cleanup after the current test. */
export function tempHome(): TempHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-config-test-'));
  created.push(home);
  const file = path.join(home, '.mp', 'config.toml');
  return {
    home,
    file,
    write(text: string) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    },
    read() {
      return fs.readFileSync(file, 'utf8');
    },
  };
}

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}
