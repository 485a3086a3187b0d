import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendConnection, OpenRequest, SettingValue } from '../../src/backend/backend.js';
import { sqliteBackend } from '../../src/backends/sqlite/index.js';
import {
  ConfigError,
  DatabaseClosedError,
  DatabaseNotFoundError,
  InvalidArgumentError,
  QueryError,
  ReadOnlyError,
  UnsupportedError,
} from '../../src/errors.js';
import { tempDir } from '../support/temp-dir.js';

const open: BackendConnection[] = [];

async function openSqlite(request: Partial<OpenRequest> = {}): Promise<BackendConnection> {
  const connection = await sqliteBackend.open({ mode: 'memory', readOnly: false, settings: {}, ...request });
  open.push(connection);
  return connection;
}

afterEach(async () => {
  for (const connection of open.splice(0)) await connection.close();
});

function settingsMap(settings: { key: string; value: string; source: string }[]) {
  return Object.fromEntries(settings.map((s) => [s.key, { value: s.value, source: s.source }]));
}

async function* batchesOf<T>(rows: T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

describe('sqlite backend: storage modes', () => {
  it('persistent: creates the file (and its directory), which keeps the data after close', async () => {
    const path = join(tempDir('mp-sqlite-'), 'nested', 'dir', 'data.db');
    const first = await openSqlite({ mode: 'persistent', path });
    expect(first.location).toBe(path);
    await first.run('CREATE TABLE t (id INTEGER, name TEXT)');
    await first.run('INSERT INTO t VALUES (?, ?), (?, ?)', [1, 'one', 2, 'two']);
    await first.close();
    expect(existsSync(path)).toBe(true);

    const second = await openSqlite({ mode: 'persistent', path });
    expect((await second.query('SELECT id, name FROM t ORDER BY id')).rows).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('ephemeral: lives in a private mp-ephemeral-* temp directory removed with its -wal/-shm on close', async () => {
    const connection = await openSqlite({ mode: 'ephemeral' });
    const dir = dirname(connection.location);
    expect(dirname(dir)).toBe(tmpdir());
    expect(basename(dir)).toMatch(/^mp-ephemeral-/);
    await connection.run('CREATE TABLE t (x INTEGER)');
    await connection.appendRows('t', [{ name: 'x', type: 'int64' }], batchesOf([[1], [2], [3]], 2));
    expect(readdirSync(dir).sort()).toEqual([
      'ephemeral.sqlite',
      'ephemeral.sqlite-shm',
      'ephemeral.sqlite-wal',
    ]);
    expect((await connection.query('SELECT sum(x) FROM t')).rows).toEqual([[6]]);
    await connection.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('memory: :memory: with no file at all', async () => {
    const connection = await openSqlite({ mode: 'memory' });
    expect(connection.location).toBe(':memory:');
    expect(connection.capabilities.inMemory).toBe(true);
    await connection.run('CREATE TABLE t (x TEXT)');
    await connection.run('INSERT INTO t VALUES (?)', ['kept in RAM']);
    expect((await connection.query('SELECT x FROM t')).rows).toEqual([['kept in RAM']]);
    const settings = settingsMap(await connection.settings());
    expect(settings['database.sqlite.journal_mode']?.value).toBe('memory'); // WAL needs a file
    expect(settings['database.sqlite.mmap_size']?.value).toBe('not applicable');
  });

  it('read-only: a missing file is DatabaseNotFoundError and is not created', async () => {
    const path = join(tempDir('mp-sqlite-'), 'missing.db');
    const error = await openSqlite({ mode: 'persistent', path, readOnly: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseNotFoundError);
    expect((error as DatabaseNotFoundError).code).toBe('DATABASE_NOT_FOUND');
    expect((error as DatabaseNotFoundError).path).toBe(path);
    expect(existsSync(path)).toBe(false);
  });

  it('read-only: reads work, every kind of write is ReadOnlyError', async () => {
    const path = join(tempDir('mp-sqlite-'), 'ro.db');
    const writer = await openSqlite({ mode: 'persistent', path });
    await writer.run('CREATE TABLE t (x INTEGER)');
    await writer.run('INSERT INTO t VALUES (41)');
    await writer.close();

    const reader = await openSqlite({ mode: 'persistent', path, readOnly: true });
    expect(reader.readOnly).toBe(true);
    expect((await reader.query('SELECT x + 1 AS y FROM t')).rows).toEqual([[42]]);
    const insert = await reader.run('INSERT INTO t VALUES (?)', [1]).catch((e: unknown) => e);
    expect(insert).toBeInstanceOf(ReadOnlyError);
    expect((insert as ReadOnlyError).code).toBe('READ_ONLY');
    expect((insert as ReadOnlyError).message).toContain('Cannot run INSERT');
    expect((insert as ReadOnlyError).details.query).toBe('INSERT INTO t VALUES (?)');
    await expect(reader.run('CREATE TABLE u (y TEXT)')).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(
      reader.appendRows('t', [{ name: 'x', type: 'int64' }], batchesOf([[1]], 1)),
    ).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(reader.transaction((s) => s.run('DELETE FROM t'))).rejects.toBeInstanceOf(ReadOnlyError);
    expect((await reader.query('SELECT count(*) FROM t')).rows).toEqual([[1]]);
  });

  it('read-only is refused for memory and ephemeral databases', async () => {
    await expect(openSqlite({ mode: 'memory', readOnly: true })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(openSqlite({ mode: 'ephemeral', readOnly: true })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('close is idempotent and use after close is DatabaseClosedError', async () => {
    const connection = await openSqlite();
    await connection.close();
    await connection.close();
    await expect(connection.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseClosedError);
    await expect(connection.transaction(async () => 1)).rejects.toBeInstanceOf(DatabaseClosedError);
  });

  it('declares its capabilities and exposes the better-sqlite3 Database as native', async () => {
    expect(sqliteBackend.name).toBe('sqlite');
    expect(sqliteBackend.capabilities).toEqual({
      inMemory: true,
      fileBased: true,
      concurrentWriters: false,
      nativeParquet: false,
      cancelRunningStatement: false,
      dedupNeedsIndex: true,
      cheapDropColumn: false,
      cheapDuplicateScan: false,
      nativeMixpanelExport: false,
      tempStagingForExportFiles: false,
      preparesAside: false,
      nativeFileIo: false,
      nativeBackup: true,
    });
    const connection = await openSqlite();
    const native = connection.native as { prepare(sql: string): { pluck(): { get(): unknown } } };
    expect(native.prepare('SELECT 7').pluck().get()).toBe(7n); // safe integers are on for the handle too
  });
});

describe('sqlite backend: settings', () => {
  const s = (value: string | number, source = 'file'): SettingValue => ({ value, source });

  it('applies the defaults and reads them back from the engine', async () => {
    const connection = await openSqlite({ mode: 'persistent', path: join(tempDir('mp-sqlite-'), 'd.db') });
    expect(settingsMap(await connection.settings())).toEqual({
      'database.sqlite.journal_mode': { value: 'wal', source: 'default' },
      'database.sqlite.synchronous': { value: 'normal', source: 'default' },
      'database.sqlite.cache_size': { value: '-64000', source: 'default' },
      'database.sqlite.temp_store': { value: 'memory', source: 'default' },
      'database.sqlite.mmap_size': { value: '268435456', source: 'default' },
      'database.sqlite.busy_timeout': { value: '0', source: 'default' },
      access_mode: { value: 'read_write', source: 'option' },
    });
  });

  it('applies every non-default value, with its source', async () => {
    const connection = await openSqlite({
      mode: 'persistent',
      path: join(tempDir('mp-sqlite-'), 'nd.db'),
      lockTimeoutMs: 1234,
      settings: {
        journal_mode: s('DELETE'),
        synchronous: s('full', 'env'),
        cache_size: s('-2000', 'env'),
        temp_store: s('file'),
        mmap_size: s(0, 'option'),
      },
    });
    expect(settingsMap(await connection.settings())).toMatchObject({
      'database.sqlite.journal_mode': { value: 'delete', source: 'file' },
      'database.sqlite.synchronous': { value: 'full', source: 'env' },
      'database.sqlite.cache_size': { value: '-2000', source: 'env' },
      'database.sqlite.temp_store': { value: 'file', source: 'file' },
      'database.sqlite.mmap_size': { value: '0', source: 'option' },
      'database.sqlite.busy_timeout': { value: '1234', source: 'option' },
    });
    // journal_mode=delete really is in force: a write leaves no -wal file behind.
    await connection.run('CREATE TABLE t (x INTEGER)');
    await connection.transaction((session) => session.run('INSERT INTO t VALUES (1)'));
    expect(existsSync(`${connection.location}-wal`)).toBe(false);
  });

  it('read-only: journal_mode is left to the file (source engine), the other pragmas apply', async () => {
    const path = join(tempDir('mp-sqlite-'), 'ro-settings.db');
    const writer = await openSqlite({ mode: 'persistent', path, settings: { journal_mode: s('truncate') } });
    await writer.run('CREATE TABLE t (x INTEGER)');
    await writer.close();
    const reader = await openSqlite({
      mode: 'persistent',
      path,
      readOnly: true,
      settings: { journal_mode: s('wal'), cache_size: s(-2000), synchronous: s('off'), busy_timeout: s(50) },
    });
    expect(settingsMap(await reader.settings())).toMatchObject({
      'database.sqlite.journal_mode': { value: 'delete', source: 'engine' }, // truncate is per connection
      'database.sqlite.cache_size': { value: '-2000', source: 'file' },
      'database.sqlite.synchronous': { value: 'off', source: 'file' },
      'database.sqlite.busy_timeout': { value: '50', source: 'file' },
      access_mode: { value: 'read_only', source: 'option' },
    });
  });

  it('rejects unknown keys and invalid values with a ConfigError naming the key', async () => {
    const cases: [Record<string, SettingValue>, string][] = [
      [{ journal_mode: s('fast') }, 'database.sqlite.journal_mode'],
      [{ synchronous: s('sometimes') }, 'database.sqlite.synchronous'],
      [{ cache_size: s('64MB') }, 'database.sqlite.cache_size'],
      [{ temp_store: s(7) }, 'database.sqlite.temp_store'],
      [{ mmap_size: s(-1) }, 'database.sqlite.mmap_size'],
      [{ busy_timeout: s(1.5) }, 'database.sqlite.busy_timeout'],
      [{ memory_limit: s('4GB') }, 'database.sqlite.memory_limit'],
    ];
    for (const [settings, key] of cases) {
      const error = await openSqlite({ settings }).catch((e: unknown) => e);
      expect(error, key).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('CONFIG_INVALID');
      expect((error as ConfigError).details.key).toBe(key);
      expect((error as ConfigError).message).toContain(key);
    }
  });
});

describe('sqlite backend: statements, values and catalog', () => {
  it('reports declared types as column types and follows the value rule', async () => {
    const connection = await openSqlite();
    await connection.run(
      'CREATE TABLE v (i INTEGER, f REAL, s TEXT, ts TIMESTAMP, j JSON, b BOOLEAN, d DATE, n TEXT)',
    );
    const when = new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 7));
    await connection.run('INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      3928097563762691601n,
      1.5,
      'text',
      when,
      '{"a":[1,2]}',
      true,
      '2024-02-29',
      null,
    ]);
    await connection.run('INSERT INTO v (i, j, b) VALUES (?, ?, ?)', [42, '123', false]);
    const result = await connection.query(
      'SELECT *, i + 0 AS computed, max(ts) OVER () AS latest FROM v ORDER BY i DESC',
    );
    expect(result.columns).toEqual([
      { name: 'i', type: 'INTEGER' },
      { name: 'f', type: 'REAL' },
      { name: 's', type: 'TEXT' },
      { name: 'ts', type: 'TIMESTAMP' },
      { name: 'j', type: 'JSON' },
      { name: 'b', type: 'BOOLEAN' },
      { name: 'd', type: 'DATE' },
      { name: 'n', type: 'TEXT' },
      { name: 'computed', type: '' },
      { name: 'latest', type: '' },
    ]);
    expect(result.rows).toEqual([
      [
        3928097563762691601n,
        1.5,
        'text',
        when,
        '{"a":[1,2]}',
        true,
        '2024-02-29',
        null,
        3928097563762691601n,
        when,
      ],
      // NUMERIC affinity stored the JSON document `123` as a number; it comes back as JSON text.
      [42, null, null, null, '123', false, null, null, 42, when],
    ]);
    expect(typeof result.rows[1]?.[0]).toBe('number');
    expect((await connection.query('SELECT ts FROM v WHERE ts IS NOT NULL')).rows[0]?.[0]).toBeInstanceOf(
      Date,
    );
    // Timestamps are stored as sortable UTC text, so SQLite's date functions work on them.
    expect(
      (await connection.query("SELECT ts, date(ts), strftime('%H', ts) FROM v WHERE ts IS NOT NULL")).rows,
    ).toEqual([[when, '2024-02-29', '23']]);
  });

  it('reads TIMESTAMP text written by other tools as UTC, and leaves text that is no instant alone', async () => {
    const connection = await openSqlite();
    await connection.run('CREATE TABLE t (n INTEGER, ts TIMESTAMP)');
    const texts = [
      '2024-01-01T10:00:00Z',
      '2024-01-01 10:00',
      '2024-01-01T10:00:00.123456+05:30',
      '0050-06-01 00:00:00.000',
      '2024-02-31 00:00:00.000',
      'yesterday',
    ];
    for (const [i, text] of texts.entries()) await connection.run('INSERT INTO t VALUES (?, ?)', [i, text]);
    await connection.run('INSERT INTO t VALUES (?, ?)', [99, 1704103200]);
    const { rows } = await connection.query('SELECT ts FROM t ORDER BY n');
    expect(rows.map((row) => row[0])).toEqual([
      new Date('2024-01-01T10:00:00Z'),
      new Date('2024-01-01T10:00:00Z'),
      new Date('2024-01-01T04:30:00.123Z'),
      new Date('0050-06-01T00:00:00Z'),
      '2024-02-31 00:00:00.000',
      'yesterday',
      1704103200, // a number stays a number: no guessing at epoch units
    ]);
  });

  it('run() returns rows changed; query() on a statement without rows returns an empty result', async () => {
    const connection = await openSqlite();
    expect(await connection.run('CREATE TABLE t (x INTEGER)')).toBe(0);
    expect(await connection.run('INSERT INTO t VALUES (1), (2), (3)')).toBe(3);
    expect(await connection.run('UPDATE t SET x = x * 10 WHERE x > ?', [1])).toBe(2);
    expect(await connection.run('INSERT INTO t VALUES (4) RETURNING x')).toBe(1);
    expect(await connection.query('DELETE FROM t WHERE x = ?', [4])).toEqual({ columns: [], rows: [] });
    expect((await connection.query('SELECT x FROM t ORDER BY x')).rows).toEqual([[1], [20], [30]]);
  });

  it('maps SQL errors to QueryError with the SQL text but never the parameter values', async () => {
    const connection = await openSqlite();
    const error = await connection
      .query('SELECT * FROM nowhere WHERE secret = ?', ['hunter2'])
      .catch((e) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect(error.code).toBe('QUERY_FAILED');
    expect(error.query).toBe('SELECT * FROM nowhere WHERE secret = ?');
    expect(error.message).toContain('no such table: nowhere');
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
    await expect(connection.query('SELECT ?', [])).rejects.toBeInstanceOf(QueryError);
    await expect(connection.query('SELEC 1')).rejects.toBeInstanceOf(QueryError);
  });

  it('dialect: quoting, placeholders, type names, IS and ->> with a bound key', async () => {
    const { dialect } = await openSqlite();
    expect(dialect.quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(dialect.placeholder(3)).toBe('?');
    expect(
      (['string', 'timestamp', 'json', 'int64', 'float64', 'boolean', 'date'] as const).map(dialect.typeName),
    ).toEqual(['TEXT', 'TIMESTAMP', 'JSON', 'INTEGER', 'REAL', 'BOOLEAN', 'DATE']);
    const connection = await openSqlite();
    const table = 'tab "with" quotes, select; ünïcode';
    const q = dialect.quoteIdentifier;
    await connection.run(`CREATE TABLE ${q(table)} (${q('prop"s')} JSON, k TEXT)`);
    await connection.run(`INSERT INTO ${q(table)} VALUES (?, ?), (?, ?)`, [
      '{"plan":"pro","id":3928097563762691601,"n":null,"it\'s":"ok"}',
      null,
      '{"plan":"free"}',
      'k',
    ]);
    const extract = dialect.jsonExtractText(q('prop"s'), '?');
    const { rows } = await connection.query(
      `SELECT ${extract}, ${dialect.jsonExtractText(q('prop"s'), '?')} FROM ${q(table)} WHERE ${dialect.nullSafeEquals('k', '?')}`,
      ['plan', '$.id', null],
    );
    expect(rows).toEqual([['pro', 3928097563762691601n]]);
    expect((await connection.query(`SELECT ${extract} FROM ${q(table)} ORDER BY 1`, ["it's"])).rows).toEqual([
      [null],
      ['ok'],
    ]);
  });

  it('lists tables and describes columns; a missing table is null', async () => {
    const connection = await openSqlite();
    await connection.run('CREATE TABLE "b" ("id" TEXT NOT NULL PRIMARY KEY, "ts" TIMESTAMP)');
    await connection.run('CREATE TABLE "_internal" (x INTEGER)');
    await connection.run('CREATE TABLE "a" (x INTEGER)');
    await connection.run('CREATE INDEX "a_x" ON "a" (x)');
    expect(await connection.listTables()).toEqual(['_internal', 'a', 'b']);
    expect(await connection.describeTable('b')).toEqual([
      { name: 'id', type: 'TEXT', nullable: false, primaryKey: true },
      { name: 'ts', type: 'TIMESTAMP', nullable: true, primaryKey: false },
    ]);
    expect(await connection.describeTable('missing')).toBeNull();
  });

  it('stats: file size from page_count × page_size and per-table bytes from dbstat', async () => {
    const connection = await openSqlite({ mode: 'persistent', path: join(tempDir('mp-sqlite-'), 's.db') });
    await connection.run('CREATE TABLE big (x TEXT)');
    await connection.run('CREATE TABLE small (x TEXT)');
    await connection.appendRows(
      'big',
      [{ name: 'x', type: 'string' }],
      batchesOf(
        Array.from({ length: 2000 }, (_, i) => [`row ${i} ${'x'.repeat(100)}`]),
        500,
      ),
    );
    const stats = await connection.stats([
      { name: 'big', rows: 2000 },
      { name: 'small', rows: 0 },
    ]);
    const pages = (
      await connection.query('SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()')
    ).rows[0]?.[0];
    expect(stats).toMatchObject({
      backend: 'sqlite',
      location: connection.location,
      databaseBytes: pages,
      memoryBytes: null,
    });
    const [big, small] = stats.tables;
    expect(big).toMatchObject({ name: 'big', rows: 2000 });
    expect(big?.bytes).toBeGreaterThan(200_000);
    expect(small?.bytes).toBe(4096);
    expect(stats.databaseBytes).toBeGreaterThan(big?.bytes ?? 0);

    const memory = await openSqlite();
    const memoryStats = await memory.stats([]);
    expect(memoryStats.memoryBytes).toBe(memoryStats.databaseBytes);
  });

  it('transactions do not nest, and a session is dead once its transaction ended', async () => {
    const connection = await openSqlite();
    let kept: Parameters<Parameters<BackendConnection['transaction']>[0]>[0] | undefined;
    await connection.transaction(async (session) => {
      kept = session;
      await expect(connection.transaction(async () => 1)).rejects.toBeInstanceOf(UnsupportedError);
    });
    await expect(kept?.run('SELECT 1')).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
