import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify, TomlError, type TomlTable } from 'smol-toml';
import { ConfigError } from '../errors.js';

/** Mode of the config file and its temp file: it holds API secrets and database passwords. */
export const CONFIG_FILE_MODE = 0o600;
/** Mode of directories we create under the home directory. */
export const CONFIG_DIR_MODE = 0o700;

/**
 * Reads and parses the config file. A missing file is `undefined` (everything defaults), any other
 * read problem or a TOML syntax error is a {@link ConfigError} naming the file and, for syntax
 * errors, the line.
 */
export function readConfigFile(file: string): TomlTable | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read config file ${file}: ${code ?? String(err)}`, {
      details: { path: file, code },
      cause: err,
    });
  }
  return parseConfigText(text, file);
}

/** Parses TOML text read from `file` (used for messages only). */
export function parseConfigText(text: string, file: string): TomlTable {
  try {
    // asNeeded keeps huge integers exact so a parse-modify-write cycle never rounds them.
    return parse(text, { integersAsBigInt: 'asNeeded' });
  } catch (err) {
    if (err instanceof TomlError) {
      // smol-toml appends a code excerpt to its message; that excerpt can contain a secret from the
      // offending line, so only the first line of the message is kept.
      const reason = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
      throw new ConfigError(
        `Syntax error in config file ${file} at line ${err.line}, column ${err.column}: ${reason}`,
        { details: { path: file, line: err.line, column: err.column } },
      );
    }
    throw new ConfigError(`Cannot parse config file ${file}`, { details: { path: file } });
  }
}

/**
 * Serialises `table` and replaces `file` atomically: write a temp file beside it (mode 0600),
 * fsync, rename over the target. Readers therefore see the old file or the new one, never half
 * of one, and a crash cannot leave secrets in a world-readable file. A symlinked config file is
 * followed so the link keeps pointing at the updated content.
 */
export function writeConfigFileAtomic(file: string, table: TomlTable): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: CONFIG_DIR_MODE });
  let target = file;
  try {
    target = fs.realpathSync(file);
  } catch {
    // Not there yet: it will be created.
  }
  const targetDir = path.dirname(target);
  const tmp = path.join(
    targetDir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const text = stringify(table);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', CONFIG_FILE_MODE);
    fs.fchmodSync(fd, CONFIG_FILE_MODE);
    fs.writeFileSync(fd, text.endsWith('\n') || text === '' ? text : `${text}\n`);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new ConfigError(`Cannot write config file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      details: { path: file },
      cause: err,
    });
  }
  // Belt and braces for a file that existed with wider permissions before we first wrote it.
  fs.chmodSync(target, CONFIG_FILE_MODE);
  fsyncDir(targetDir);
}

function fsyncDir(dir: string): void {
  // Makes the rename itself durable. Not supported on every platform (Windows), hence best effort.
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Durability of the directory entry is a nicety; the data itself is already fsynced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Thrown by {@link expandEnvRefs} with the variable that was missing or malformed. */
export class EnvRefError extends Error {
  constructor(
    message: string,
    readonly variable: string | undefined,
  ) {
    super(message);
  }
}

const REF_RE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/;

/**
 * Expands `${VAR}` and `${VAR:-default}` in a file string. `:-` follows the shell: the default is
 * used when the variable is unset or empty. `$${` is a literal `${` so values that really contain
 * it (a generated password, say) survive a write-read round trip; see {@link escapeEnvRefs}.
 */
export function expandEnvRefs(value: string, env: NodeJS.ProcessEnv): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    if (value.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (value.startsWith('${', i)) {
      const m = REF_RE.exec(value.slice(i));
      if (m === null) {
        throw new EnvRefError(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the literal syntax.
          "malformed variable reference: expected ${NAME} or ${NAME:-default} (write $${ for a literal '${')",
          undefined,
        );
      }
      const name = m[1] ?? '';
      const fallback = m[2];
      const current = env[name];
      if (fallback !== undefined) out += current === undefined || current === '' ? fallback : current;
      else if (current !== undefined) out += current;
      else throw new EnvRefError(`environment variable ${name} is not set (use \${${name}:-default})`, name);
      i += m[0].length;
      continue;
    }
    out += value[i];
    i += 1;
  }
  return out;
}

/** Inverse of {@link expandEnvRefs} for literal values we write: every `${` becomes `$${`. */
export function escapeEnvRefs(value: string): string {
  // A replacer function, because in a replacement string `$$` itself means a single `$`.
  return value.replaceAll('${', () => '$${');
}
