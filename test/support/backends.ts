import { join } from 'node:path';
import { inject } from 'vitest';
import { StorageEngine, type StorageOpenOptions } from '../../src/index.js';
import { tempDir } from './temp-dir.js';

/**
 * The backends every contract suite runs against, defined once. `MP_BACKENDS=duckdb,sqlite` narrows
 * the list. A backend that cannot run here is still listed, with the reason it is skipped, so a
 * missing engine shows up as a visible skip rather than vanishing.
 */
export interface BackendHarness {
  readonly name: 'duckdb' | 'sqlite' | 'postgres';
  /** Why this backend is skipped, or null when it runs. */
  readonly skipReason: string | null;
  /** Opens a fresh persistent database (a new file, or a new PostgreSQL schema). */
  openFresh(options?: Omit<StorageOpenOptions, 'backend' | 'path'>): Promise<{
    engine: StorageEngine;
    reopen: (o?: Omit<StorageOpenOptions, 'backend' | 'path'>) => Promise<StorageEngine>;
  }>;
  /** True when `StorageEngine.inMemory()` is supported. */
  readonly inMemory: boolean;
  /** True when the database lives in files (DuckDB, SQLite). */
  readonly fileBased: boolean;
}

const wanted = (process.env.MP_BACKENDS ?? 'duckdb,sqlite,postgres').split(',').map((s) => s.trim());

async function canLoad(moduleName: string): Promise<string | null> {
  try {
    await import(moduleName);
    return null;
  } catch (error) {
    return `driver ${moduleName} is not installed (${(error as Error).message.split('\n')[0]})`;
  }
}

let counter = 0;

function fileHarness(name: 'duckdb' | 'sqlite', skipReason: string | null): BackendHarness {
  return {
    name,
    skipReason,
    inMemory: true,
    fileBased: true,
    async openFresh(options = {}) {
      const dir = tempDir(`mp-${name}-`);
      const path = join(dir, `db-${counter++}.${name}`);
      const engine = await StorageEngine.open({ ...options, backend: name, path });
      return { engine, reopen: (o = {}) => StorageEngine.open({ ...o, backend: name, path }) };
    },
  };
}

function postgresHarness(url: string, skipReason: string | null): BackendHarness {
  return {
    name: 'postgres',
    skipReason,
    inMemory: false,
    fileBased: false,
    async openFresh(options = {}) {
      const schema = `t_${process.pid}_${counter++}_${Math.random().toString(36).slice(2, 8)}`;
      const settings = { url, schema };
      const engine = await StorageEngine.open({ ...options, backend: 'postgres', settings });
      return {
        engine,
        reopen: (o = {}) =>
          StorageEngine.open({ ...o, backend: 'postgres', settings: { ...settings, ...o.settings } }),
      };
    },
  };
}

/** Every backend with its skip reason (null when it runs here). */
export async function backendHarnesses(): Promise<BackendHarness[]> {
  const out: BackendHarness[] = [];
  const notWanted = (name: string) =>
    wanted.includes(name) ? null : `not in MP_BACKENDS=${process.env.MP_BACKENDS}`;
  out.push(fileHarness('duckdb', notWanted('duckdb')));
  out.push(fileHarness('sqlite', notWanted('sqlite') ?? (await canLoad('better-sqlite3'))));
  const pgUrl = inject('pgUrl') ?? '';
  const pgReason =
    notWanted('postgres') ??
    (await canLoad('pg')) ??
    (pgUrl === '' ? (inject('pgSkipReason') ?? 'no PostgreSQL test server') : null);
  out.push(postgresHarness(pgUrl, pgReason));
  for (const h of out) {
    if (h.skipReason) console.warn(`[skip] ${h.name} contract suite: ${h.skipReason}`);
  }
  return out;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgSkipReason: string;
  }
}
