import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// Directories made by this test file. The hook is registered once, when the file imports this
// module during collection: a hook registered from inside a running test would never fire, and
// tests call tempDir() from inside `it` as well as at describe level.
const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed after the test file (wherever in the file it is made). */
export function tempDir(prefix = 'mp-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}
