import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError, StorageEngine } from '../../src/index.js';
import { tempDir } from '../support/temp-dir.js';

// Every config key is applied and verifiable: written in the file, read back from the engine.
describe('configuration reaches the engine', () => {
  const dir = tempDir('mp-config-');

  function configFrom(toml: string, env: NodeJS.ProcessEnv = {}) {
    const configPath = join(dir, `config-${Math.random().toString(36).slice(2)}.toml`);
    writeFileSync(configPath, toml);
    return loadConfig({ configPath, env, homeDir: dir });
  }

  it('DuckDB settings from the file are applied and reported with their source', async () => {
    const config = configFrom('[database.duckdb]\nmemory_limit = "256MB"\nthreads = 1\n');
    await using engine = await StorageEngine.inMemory({ config });
    const settings = Object.fromEntries((await engine.settings()).map((s) => [s.key, s]));
    expect(settings['database.duckdb.memory_limit']).toEqual({
      key: 'database.duckdb.memory_limit',
      value: '244.1 MiB',
      source: 'file',
    });
    expect(settings['database.duckdb.threads']).toMatchObject({ value: '1', source: 'file' });
  });

  it('environment variables override the file, explicit settings override both', async () => {
    const config = configFrom('[database.duckdb]\nthreads = 1\nmemory_limit = "256MB"\n', {
      MP_DUCKDB_THREADS: '2',
    });
    await using engine = await StorageEngine.inMemory({ config, settings: { memory_limit: '128MB' } });
    const settings = Object.fromEntries((await engine.settings()).map((s) => [s.key, s]));
    expect(settings['database.duckdb.threads']).toMatchObject({ value: '2', source: 'env' });
    expect(settings['database.duckdb.memory_limit']).toMatchObject({ value: '122.0 MiB', source: 'option' });
  });

  it('database.default_backend picks the backend, and SQLite pragmas are applied', async () => {
    const config = configFrom(
      '[database]\ndefault_backend = "sqlite"\n[database.sqlite]\njournal_mode = "delete"\ncache_size = -2000\nsynchronous = "full"\n',
    );
    await using engine = await StorageEngine.open({ path: join(dir, 'picked.sqlite'), config });
    expect(engine.backend).toBe('sqlite');
    const settings = Object.fromEntries((await engine.settings()).map((s) => [s.key, s]));
    expect(settings['database.sqlite.journal_mode']).toMatchObject({ value: 'delete', source: 'file' });
    expect(settings['database.sqlite.cache_size']).toMatchObject({ value: '-2000', source: 'file' });
    expect(settings['database.sqlite.synchronous']).toMatchObject({ value: 'full', source: 'file' });
  });

  it('an unknown key is refused with its name', () => {
    expect(() => configFrom('[database.duckdb]\nmemory_limt = "1GB"\n')).toThrowError(ConfigError);
    expect(() => configFrom('[database.duckdb]\nmemory_limt = "1GB"\n')).toThrowError(
      /database\.duckdb\.memory_limt/,
    );
  });
});
