import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { duckdbBackend } from '../../src/backends/duckdb/duckdb-backend.js';
import { ConfigError, StorageEngine } from '../../src/index.js';
import { tempDir } from '../support/temp-dir.js';

// While a write runs, DuckDB's memory_limit is the write limit, so a long load cannot fill 80% of
// RAM with cached blocks; afterwards queries get the full default back.
describe('DuckDB bulk_memory_limit', () => {
  const dir = tempDir('mp-bulk-export-');
  async function limitSeenDuringWrite(storage: StorageEngine): Promise<string> {
    let seen = '';
    async function* events() {
      seen = String(await storage.executeScalar("SELECT current_setting('memory_limit')"));
      yield { event_name: 'a', event_time: 0, distinct_id: 'u', insert_id: 'i', properties: {} };
    }
    await storage.createEventsTable(`t${Math.random().toString(36).slice(2)}`, events(), { type: 'events' });
    return seen;
  }

  it('holds the default 256MB during writes and restores DuckDB default after', async () => {
    await using storage = await StorageEngine.inMemory();
    const before = String(await storage.executeScalar("SELECT current_setting('memory_limit')"));
    expect(await limitSeenDuringWrite(storage)).toBe('244.1 MiB');
    expect(await storage.executeScalar("SELECT current_setting('memory_limit')")).toBe(before);
    const setting = (await storage.settings()).find((s) => s.key === 'database.duckdb.bulk_memory_limit');
    expect(setting).toEqual({ key: 'database.duckdb.bulk_memory_limit', value: '256MB', source: 'engine' });
  });

  it('takes a configured value, and steps aside when memory_limit is set', async () => {
    await using capped = await StorageEngine.inMemory({ settings: { bulk_memory_limit: '300MB' } });
    expect(await limitSeenDuringWrite(capped)).toBe('286.1 MiB');
    await using limited = await StorageEngine.inMemory({ settings: { memory_limit: '1GB' } });
    expect(await limitSeenDuringWrite(limited)).toBe('953.6 MiB');
    expect((await limited.settings()).find((s) => s.key === 'database.duckdb.bulk_memory_limit')?.value).toBe(
      'memory_limit applies',
    );
  });

  it('holds write_threads (default: cores − 1, at least 1) during writes, unless threads is set', async () => {
    const { availableParallelism } = await import('node:os');
    const seen = async (storage: StorageEngine) => {
      let during = '';
      async function* events() {
        during = String(await storage.executeScalar("SELECT current_setting('threads')"));
        yield { event_name: 'a', event_time: 0, distinct_id: 'u', insert_id: 'i', properties: {} };
      }
      await storage.createEventsTable(`t${Math.random().toString(36).slice(2)}`, events(), {
        type: 'events',
      });
      return { during, after: String(await storage.executeScalar("SELECT current_setting('threads')")) };
    };
    await using plain = await StorageEngine.inMemory();
    expect(await seen(plain)).toEqual({
      during: String(Math.max(1, availableParallelism() - 1)),
      after: String(availableParallelism()),
    });
    await using configured = await StorageEngine.inMemory({ settings: { write_threads: 3 } });
    expect((await seen(configured)).during).toBe('3');
    await using fixed = await StorageEngine.inMemory({ settings: { threads: 2 } });
    expect(await seen(fixed)).toEqual({ during: '2', after: '2' });
    await expect(StorageEngine.inMemory({ settings: { write_threads: 0 } })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it('overlapping bulk work keeps the limit until the last one ends; exports restore it', async () => {
    const backend = await duckdbBackend.open({ mode: 'memory', readOnly: false, settings: {} });
    try {
      const limit = async () =>
        String((await backend.query("SELECT current_setting('memory_limit')")).rows[0]?.[0]);
      const idle = await limit();
      let release!: () => void;
      const outer = backend.withBulkMemoryLimit!(() => new Promise<void>((r) => (release = r)));
      await new Promise((r) => setTimeout(r, 20));
      expect(await limit()).toBe('244.1 MiB');
      await backend.withBulkMemoryLimit!(async () => expect(await limit()).toBe('244.1 MiB'));
      expect(await limit()).toBe('244.1 MiB'); // the outer work still runs
      release();
      await outer;
      expect(await limit()).toBe(idle);
      await expect(
        backend.withBulkMemoryLimit!(async () => Promise.reject(new Error('boom'))),
      ).rejects.toThrow('boom');
      expect(await limit()).toBe(idle);
    } finally {
      await backend.close();
    }

    await using storage = await StorageEngine.inMemory();
    await storage.execute('CREATE TABLE t AS SELECT range AS x FROM range(1000)');
    const before = await storage.executeScalar("SELECT current_setting('memory_limit')");
    for (const format of ['parquet', 'csv', 'jsonl'] as const) {
      const result = await storage.exportTable('t', { path: join(dir, `t.${format}`), format });
      expect(result.rows).toBe(1000);
    }
    expect(await storage.executeScalar("SELECT current_setting('memory_limit')")).toBe(before);
    // The limit is in force while an export runs: a query that reads it writes it into the file,
    // through DuckDB's COPY (CSV) and through the JavaScript writer (JSON lines) alike.
    for (const format of ['csv', 'jsonl'] as const) {
      const path = join(dir, `setting.${format}`);
      await storage.exportQuery("SELECT current_setting('memory_limit') AS m", [], { path, format });
      expect(readFileSync(path, 'utf8')).toContain('244.1 MiB');
    }
    expect(await storage.executeScalar("SELECT current_setting('memory_limit')")).toBe(before);
  });

  it('raises a bulk_memory_limit below 256MB (Parquet needs it) and says so', async () => {
    const exportedLimit = async (storage: StorageEngine) => {
      const path = join(dir, `limit-${Math.random().toString(36).slice(2)}.csv`);
      await storage.exportQuery("SELECT current_setting('memory_limit') AS m", [], { path, format: 'csv' });
      return readFileSync(path, 'utf8').trim().split('\n')[1];
    };
    const readBack = async (storage: StorageEngine) =>
      (await storage.settings()).find((s) => s.key === 'database.duckdb.bulk_memory_limit')?.value;
    await using low = await StorageEngine.inMemory({ settings: { bulk_memory_limit: '64MB' } });
    expect(await limitSeenDuringWrite(low)).toBe('244.1 MiB');
    expect(await exportedLimit(low)).toBe('244.1 MiB');
    expect(await readBack(low)).toBe('256MB (raised from 64MB)');
    await using kibibytes = await StorageEngine.inMemory({ settings: { bulk_memory_limit: '200000KiB' } });
    expect(await limitSeenDuringWrite(kibibytes)).toBe('244.1 MiB');
    await using high = await StorageEngine.inMemory({ settings: { bulk_memory_limit: '512MB' } });
    expect(await limitSeenDuringWrite(high)).toBe('488.2 MiB');
    expect(await exportedLimit(high)).toBe('488.2 MiB');
    expect(await readBack(high)).toBe('512MB');
  });

  it('refuses a value that is not a size', async () => {
    await expect(StorageEngine.inMemory({ settings: { bulk_memory_limit: 'lots' } })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});

describe('DuckDB in-memory databases', () => {
  it('are private to their StorageEngine, settings included', async () => {
    await using a = await StorageEngine.inMemory({ settings: { memory_limit: '1GB' } });
    await using b = await StorageEngine.inMemory();
    await a.execute('CREATE TABLE only_in_a (x INTEGER)');
    expect((await a.listTables()).map((t) => t.name)).toEqual(['only_in_a']);
    expect(await b.listTables()).toEqual([]);
    expect(await a.executeScalar("SELECT current_setting('memory_limit')")).toBe('953.6 MiB');
    expect(await b.executeScalar("SELECT current_setting('memory_limit')")).not.toBe('953.6 MiB');
  });
});
