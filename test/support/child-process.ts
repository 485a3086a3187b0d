import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const children = new Set<ChildProcessWithoutNullStreams>();

afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

/** Fails clearly when the tests that spawn the built package run before `npm run build`. */
export function requireBuild(): void {
  if (!existsSync(`${root}dist/index.js`)) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does it for you).');
  }
}

/** Spawns `node test/fixtures/<script> ...args`; killed after the test if still running. */
export function spawnFixture(script: string, args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [`${root}test/fixtures/${script}`, ...args], { cwd: root });
  children.add(child);
  return child;
}

/** Resolves with the first stdout line matching `pattern` (rejects if the child exits first). */
export function waitForLine(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const onData = (data: Buffer) => {
      buffer += data.toString();
      for (const line of buffer.split('\n')) {
        if (pattern.test(line)) {
          child.stdout.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`child exited (${code}) before printing ${pattern}: ${stderr}`)),
    );
  });
}

/** Resolves with the exit code and signal once the child has ended. */
export function waitForExit(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
