import { describe, expect, it } from 'vitest';
import { requireBuild, spawnFixture, waitForExit, waitForLine } from '../support/child-process.js';

describe('optional drivers are loaded lazily', () => {
  it('DuckDB works with pg and better-sqlite3 unavailable; SQLite then reports what to install', async () => {
    requireBuild();
    const child = spawnFixture('duckdb-without-drivers.mjs', []);
    const line = await waitForLine(child, /^\{/);
    expect((await waitForExit(child)).code).toBe(0);
    const result = JSON.parse(line) as { rows: number; sqliteError: string; message: string };
    expect(result.rows).toBe(1);
    expect(result.sqliteError).toBe('BACKEND_UNAVAILABLE');
    expect(result.message).toContain('npm install better-sqlite3');
  });
});
