import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDir, defaultDatabasePath } from '../../../src/config/data-dir.js';
import { InvalidArgumentError } from '../../../src/errors.js';
import { tempHome } from './helpers.js';

describe('defaultDatabasePath', () => {
  it('defaults to ~/.mp/data/{projectId}.db and creates the directories 0700', () => {
    const t = tempHome();
    const p = defaultDatabasePath('12345', { homeDir: t.home, env: {} });
    expect(p).toBe(path.join(t.home, '.mp', 'data', '12345.db'));
    expect(fs.statSync(path.join(t.home, '.mp', 'data')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(t.home, '.mp')).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(p)).toBe(false);
  });

  it('uses MP_DATA_DIR when set', () => {
    const t = tempHome();
    const dir = path.join(t.home, 'custom', 'data');
    const p = defaultDatabasePath('7', { homeDir: t.home, env: { MP_DATA_DIR: dir } });
    expect(p).toBe(path.join(dir, '7.db'));
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(path.join(t.home, '.mp'))).toBe(false);
  });

  it('expands ~/ in MP_DATA_DIR against the given home', () => {
    const t = tempHome();
    expect(dataDir({ homeDir: t.home, env: { MP_DATA_DIR: '~/mpdata' } })).toBe(path.join(t.home, 'mpdata'));
  });

  it('rejects project ids that could escape the directory', () => {
    const t = tempHome();
    for (const bad of ['../etc', 'abc', '', '1/2']) {
      expect(() => defaultDatabasePath(bad, { homeDir: t.home, env: {} }), bad).toThrow(InvalidArgumentError);
    }
  });
});
