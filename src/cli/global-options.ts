import type { CliIo } from './cli-io.js';
import { type BackendName, InvalidArgumentError, Workspace } from './library.js';
import { type FormatChoice, OUTPUT_FORMATS, type OutputFormat } from './output.js';

/** Options every command accepts (declared once on the root command in `cli.ts`). */
export interface GlobalOptions {
  /** `--account/-a NAME`: a configured account (else MP_ACCOUNT, the env credentials, the default). */
  readonly account?: string;
  /** `--path FILE`: the database file (default: `{data dir}/{project id}.db`). */
  readonly path?: string;
  /** `--ephemeral`: a throwaway database removed when the command ends. */
  readonly ephemeral?: boolean;
  /** `--backend NAME`: passed through to the library, which validates it. */
  readonly backend?: string;
  /** `--quiet/-q`: no progress, no summaries; errors still print. */
  readonly quiet?: boolean;
  /** `--verbose/-v`: stack traces and causes on error, notes about what was opened. */
  readonly verbose?: boolean;
  /**
   * `--format`: how data is printed (default `table`); for `mp export`/`mp import`, `parquet`, `csv`
   * and `jsonl` name the file's format instead.
   */
  readonly format?: FormatChoice;
  /** `--wait SECONDS`: how long to wait for another process's database lock. */
  readonly wait?: number;
  /** `--no-progress` sets this to false. */
  readonly progress?: boolean;
}

/** The format in effect. */
export function formatOf(options: GlobalOptions): OutputFormat {
  const format = options.format ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidArgumentError(
      `--format ${format} names a file format: only 'mp export' and 'mp import' take it. ` +
        `Output formats: ${OUTPUT_FORMATS.join(', ')}.`,
      { details: { option: 'format' } },
    );
  }
  return format as OutputFormat;
}

/** How a command uses the database. */
export type DatabaseAccess = 'read' | 'write';

/**
 * Opens a workspace the way every command does: read commands read-only (many may run at once),
 * write commands read-write. Nothing touches the database or the network until a method needs it.
 */
export function openWorkspace(options: GlobalOptions, io: CliIo, access: DatabaseAccess): Workspace {
  const ephemeral = options.ephemeral === true;
  if (ephemeral && options.path !== undefined) {
    throw new InvalidArgumentError(
      '--ephemeral and --path cannot be combined: an ephemeral database has no path.',
    );
  }
  return new Workspace({
    ...(options.account === undefined ? {} : { account: options.account }),
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.backend === undefined ? {} : { backend: options.backend as BackendName }),
    ...(ephemeral ? { ephemeral: true } : { readOnly: access === 'read' }),
    ...(options.wait === undefined ? {} : { lockTimeoutMs: Math.round(options.wait * 1000) }),
    env: io.env,
  });
}

/**
 * Runs `work` with a workspace and always closes it (releasing the lock, removing an ephemeral
 * database), also when `work` throws or is interrupted.
 */
export async function withWorkspace<T>(
  options: GlobalOptions,
  io: CliIo,
  access: DatabaseAccess,
  work: (ws: Workspace) => Promise<T>,
): Promise<T> {
  const ws = openWorkspace(options, io, access);
  try {
    return await work(ws);
  } finally {
    await ws.close();
  }
}
