// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  escapeEnvRefs,
  expandEnvRefs,
  readConfigFile,
  writeConfigFileAtomic,
} from '../../../src/config/config-file.js';
import { ConfigError } from '../../../src/errors.js';
import { tempHome, thrown } from './helpers.js';

describe('expandEnvRefs / escapeEnvRefs', () => {
  it('expands like the shell for :- (unset or empty uses the default)', () => {
    const env = { A: 'x', EMPTY: '' };
    expect(expandEnvRefs('${A}-${B:-dflt}-${EMPTY:-e}-${EMPTY}', env)).toBe('x-dflt-e-');
    expect(expandEnvRefs('no refs $HOME $ {A}', env)).toBe('no refs $HOME $ {A}');
    expect(expandEnvRefs('${B:-}', env)).toBe('');
  });

  it('round-trips any literal through escape then expand', () => {
    const samples = ['${X}', '$${X}', '$$${', 'a$', '$', '${', '}${}', 'plain', '$$$${{', 'p@$$w0rd${'];
    const alphabet = ['$', '{', '}', 'a'];
    for (let i = 0; i < 2000; i++) {
      let s = '';
      for (let n = i; n > 0; n = Math.floor(n / 4)) s += alphabet[n % 4];
      samples.push(s);
    }
    for (const s of samples) expect(expandEnvRefs(escapeEnvRefs(s), {}), s).toBe(s);
  });
});

describe('writeConfigFileAtomic', () => {
  it('writes through a symlink to its target', () => {
    const t = tempHome();
    const real = path.join(t.home, 'real.toml');
    fs.writeFileSync(real, 'a = 1\n');
    fs.mkdirSync(path.dirname(t.file), { recursive: true });
    fs.symlinkSync(real, t.file);
    writeConfigFileAtomic(t.file, { a: 2 });
    expect(fs.lstatSync(t.file).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, 'utf8')).toBe('a = 2\n');
    expect(fs.statSync(real).mode & 0o777).toBe(0o600);
  });

  it('reports an unreadable path as ConfigError', () => {
    const t = tempHome();
    fs.mkdirSync(t.file, { recursive: true });
    const err = thrown(() => readConfigFile(t.file)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(t.file);
  });
});
