/**
 * Running the BUILT `mp` (`node dist/cli/main.js`) as a child process. `ensureBuilt()` compiles
 * `src/` once when `dist/` is missing or older than the sources; a lock directory keeps two test
 * workers from building at the same time.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The built entry point. */
export const MP_BIN = join(root, 'dist', 'cli', 'main.js');
const LOCK = join(tmpdir(), `mp-cli-build-${Buffer.from(root).toString('hex').slice(-24)}.lock`);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  return existsSync(MP_BIN) && statSync(MP_BIN).mtimeMs >= newestMtime(join(root, 'src'));
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds `dist/` with `tsc -p tsconfig.build.json` unless it is up to date. */
export function ensureBuilt(): void {
  if (isFresh()) return;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${LOCK}`);
      // A lock left by a killed run is stale after two minutes.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 120_000)
        rmSync(LOCK, { recursive: true, force: true });
      sleepSync(250);
    }
  }
  try {
    if (isFresh()) return;
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
    } catch (error) {
      // tsc still emits on type errors elsewhere in src/; only a missing entry point is fatal here.
      if (!existsSync(MP_BIN)) throw error;
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

const children = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

/** A running `mp` with its output collected as it arrives. */
export interface MpProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited and its streams are drained. */
  done(): Promise<MpResult>;
}

/** How `mp` ended. */
export interface MpResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns `node dist/cli/main.js ...args` with exactly `env`; killed after the test if still running. */
export function spawnMp(args: readonly string[], env: NodeJS.ProcessEnv, stdin?: string): MpProcess {
  const child = spawn(process.execPath, [MP_BIN, ...args], { cwd: root, env });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  if (stdin !== undefined) child.stdin.end(stdin);
  else child.stdin.end();
  const finished = new Promise<MpResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  return { child, stdout: () => out, stderr: () => err, done: () => finished };
}

/** Runs `mp` to completion. */
export function runMp(args: readonly string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<MpResult> {
  return spawnMp(args, env, stdin).done();
}

/** Polls `check` every 25 ms until it returns true (or fails after `timeoutMs`). */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
