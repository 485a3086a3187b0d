import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CliIo } from '../cli-io.js';
import { signalOf } from '../defined.js';
import { formatOf, type GlobalOptions, withWorkspace } from '../global-options.js';
import { dataDir } from '../library.js';
import { createProgress } from '../output/progress.js';
import { formatCount, formatDuration, printData, stderrPaint } from '../output.js';
import { startFakeMixpanel } from '../testing.js';

/** Days of fake data the demo fetches. */
const DEMO_DAYS = 7;

/** `mp demo`. */
export type DemoOptions = GlobalOptions;

/**
 * A tour without a Mixpanel account: starts the built-in fake Mixpanel on loopback, fetches a week of
 * its events and all its profiles into a local database (`{data dir}/demo.db`, `--path`, or
 * `--ephemeral`), prints events per name and the commands to try next, then stops the server.
 */
export async function demo(options: DemoOptions, io: CliIo): Promise<void> {
  const started = Date.now();
  const fake = await startFakeMixpanel({ days: DEMO_DAYS });
  try {
    const days = fake.expected.days();
    const fromDate = days[0]!;
    const toDate = days[days.length - 1]!;
    const ephemeral = options.ephemeral === true;
    const path = ephemeral ? undefined : (options.path ?? join(dataDir({ env: io.env }), 'demo.db'));
    if (path !== undefined) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const paint = stderrPaint(io);
    if (options.quiet !== true) {
      io.stderr.write(
        `${paint('bold', 'mp demo')}: a fake Mixpanel is serving ${DEMO_DAYS} days of data on ${fake.url}.\n`,
      );
    }
    // The demo talks to its own fake whatever is configured: env credentials beat the config file,
    // and --account (which would beat them) is dropped.
    const demoIo: CliIo = { ...io, env: { ...io.env, ...fake.env() } };
    const { account: _account, ...rest } = options;
    const wsOptions: GlobalOptions = { ...rest, ...(path === undefined ? {} : { path }) };
    const summary = await withWorkspace(wsOptions, demoIo, 'write', async (ws) => {
      const eventsProgress = createProgress(io, options, 'events');
      const events = await ws
        .fetchEvents({
          name: 'events',
          fromDate,
          toDate,
          replace: true,
          onProgress: (p) => eventsProgress.update(p),
          ...signalOf(io.signal),
        })
        .finally(() => eventsProgress.stop());
      const profiles = await ws.fetchProfiles({ name: 'profiles', replace: true, ...signalOf(io.signal) });
      const breakdown = await ws.eventBreakdown('events', signalOf(io.signal));
      const info = await ws.info();
      return { events, profiles, breakdown, location: info.path };
    });
    await printData(
      io,
      formatOf(options),
      summary.breakdown.map((b) => ({
        event: b.event,
        count: b.count,
        users: b.users,
        share: Math.round(b.share * 1000) / 1000,
      })),
    );
    if (options.quiet === true) return;
    const at = path === undefined ? '' : ` --path ${quoteArg(path)}`;
    io.stderr.write(
      `\nStored ${formatCount(summary.events.rowsStored)} events (${fromDate} to ${toDate}, ` +
        `${formatCount(summary.events.duplicatesSkipped)} duplicates skipped) and ` +
        `${formatCount(summary.profiles.rowsStored)} profiles in ${summary.location} ` +
        `in ${formatDuration(Date.now() - started)}.\n`,
    );
    if (path === undefined) {
      io.stderr.write(
        'The database was ephemeral and is gone; run mp demo without --ephemeral to keep it.\n',
      );
      return;
    }
    io.stderr.write(
      `\n${paint('bold', 'Try next:')}\n` +
        `  mp inspect tables${at}\n` +
        `  mp inspect breakdown -t events${at}\n` +
        `  mp inspect keys -t events -e Purchase${at}\n` +
        `  mp query sql "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC"${at}\n` +
        `  mp query sql "SELECT properties->>'plan' AS plan, count(*) AS n FROM profiles GROUP BY 1 ORDER BY n DESC"${at} --format csv\n` +
        '  mp fake-server    # serve the same fake Mixpanel for your own scripts\n',
    );
  } finally {
    await fake.close();
  }
}

/** Quotes a path for copy-pasting into a POSIX shell when it needs it. */
function quoteArg(text: string): string {
  return /^[\w./~-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
