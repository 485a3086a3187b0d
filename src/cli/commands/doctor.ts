import { type CliIo, write } from '../cli-io.js';
import { defined, signalOf } from '../defined.js';
import { CliExit, EXIT_CODES } from '../exit-codes.js';
import { formatOf, type GlobalOptions, withWorkspace } from '../global-options.js';
import { loadConfig, MixpanelDataError, resolveCredentials } from '../library.js';
import { printData, printSummary, stdoutPaint } from '../output.js';
import { readBackSettings } from '../read-back-settings.js';

/** One line of the doctor's report. */
export interface DoctorCheck {
  readonly check: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  /** What to do about a warning or failure; empty when fine. */
  readonly fix: string;
}

/**
 * `mp doctor`: loads the configuration, resolves the credentials, opens the backend and reads its
 * settings back, and makes one cheap discovery call to check credentials and region. Prints every
 * check with a fix for each problem; exits 1 when any check failed (warnings do not fail).
 */
export async function doctor(options: GlobalOptions, io: CliIo): Promise<void> {
  const checks = await runChecks(options, io);
  const format = formatOf(options);
  if (format === 'table') await printChecks(io, checks);
  else await printData(io, format, checks);
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  printSummary(
    io,
    options.quiet,
    failed === 0
      ? `All checks passed${warned > 0 ? ` (${warned} ${warned === 1 ? 'warning' : 'warnings'})` : ''}.`
      : `${failed} ${failed === 1 ? 'problem' : 'problems'} found: see the fix column.`,
  );
  if (failed > 0) throw new CliExit(EXIT_CODES.general, `${failed} doctor checks failed`);
}

/** The checks, in order; later checks are skipped (not failed) when what they need is missing. */
export async function runChecks(options: GlobalOptions, io: CliIo): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const ok = (check: string, detail: string) => checks.push({ check, status: 'ok', detail, fix: '' });
  const warn = (check: string, detail: string, fix: string) =>
    checks.push({ check, status: 'warn', detail, fix });
  const fail = (check: string, error: unknown, fix: string) =>
    checks.push({ check, status: 'fail', detail: firstLine(error), fix: remedy(error) ?? fix });

  try {
    const config = loadConfig({ env: io.env });
    ok(
      'config',
      `${config.path}${config.fileExists ? '' : ' (not created yet: defaults and environment apply)'}`,
    );
  } catch (error) {
    fail('config', error, 'Fix the key named above in the config file (see docs/configuration.md).');
  }

  let credentialsOk = false;
  try {
    const c = resolveCredentials({ env: io.env, ...defined({ account: options.account }) });
    credentialsOk = true;
    const who = c.accountName === undefined ? `from ${c.source}` : `account '${c.accountName}'`;
    const where = c.baseUrl === undefined ? `region ${c.region}` : `${c.baseUrl}`;
    if (c.deprecationWarning !== undefined) {
      warn('credentials', `${c.kind} ${who}, project ${c.projectId ?? '-'}, ${where}`, c.deprecationWarning);
    } else {
      ok('credentials', `${c.kind} ${who}, project ${c.projectId ?? '-'}, ${where}`);
    }
  } catch (error) {
    fail(
      'credentials',
      error,
      "Add an account with 'mp auth add NAME --username U --project-id N', or set MP_USERNAME, MP_SECRET, MP_PROJECT_ID and MP_REGION.",
    );
  }

  try {
    const readBack = await readBackSettings(options, io);
    if (readBack.temporary) {
      warn(
        'database',
        `${readBack.backend}: no database yet (settings checked on a temporary one)`,
        "Run 'mp fetch events --from YYYY-MM-DD --to YYYY-MM-DD' to create it.",
      );
    } else {
      ok('database', `${readBack.backend} at ${readBack.location}`);
    }
    for (const s of readBack.settings) ok(`setting ${s.key}`, `${s.value} (${s.source})`);
  } catch (error) {
    fail('database', error, "Check the database settings with 'mp config show'.");
  }

  if (credentialsOk) {
    try {
      const names = await withWorkspace(options, io, 'read', (ws) =>
        ws.events({ limit: 1, ...signalOf(io.signal) }),
      );
      ok(
        'mixpanel',
        `credentials accepted; ${names.length > 0 ? 'events visible' : 'no events in the last 31 days'}`,
      );
    } catch (error) {
      const code = error instanceof MixpanelDataError ? error.code : undefined;
      if (code === 'ABORTED') throw error;
      if (code === 'API_RATE_LIMITED') {
        warn('mixpanel', firstLine(error), 'Wait for the rate limit to reset, then run mp doctor again.');
      } else if (code === 'AUTHENTICATION_FAILED') {
        fail(
          'mixpanel',
          error,
          "The secret or user name is wrong, or the account lacks access to the project: 'mp auth add NAME --replace'.",
        );
      } else {
        fail(
          'mixpanel',
          error,
          "Check the region (MP_REGION or the account's region), MP_API_BASE_URL and the network.",
        );
      }
    }
  } else {
    checks.push({
      check: 'mixpanel',
      status: 'warn',
      detail: 'skipped: no credentials',
      fix: 'Fix the credentials first.',
    });
  }
  return checks;
}

/** The human layout: one line per check, its fix indented below it (no column is cut short). */
async function printChecks(io: CliIo, checks: readonly DoctorCheck[]): Promise<void> {
  const paint = stdoutPaint(io);
  const label = {
    ok: paint('green', 'ok  '),
    warn: paint('yellow', 'warn'),
    fail: paint('red', 'FAIL'),
  } as const;
  const width = Math.max(...checks.map((c) => c.check.length));
  let text = '';
  for (const c of checks) {
    text += `${label[c.status]}  ${c.check.padEnd(width)}  ${c.detail}\n`;
    if (c.fix !== '') text += `${' '.repeat(width + 8)}${paint('dim', `fix: ${c.fix}`)}\n`;
  }
  await write(io.stdout, text);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** The remedy lines some errors carry after their first line (locks, missing database). */
function remedy(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const rest = error.message.split('\n').slice(1).join(' ').trim();
  return rest === '' ? undefined : rest;
}
