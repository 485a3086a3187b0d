import { Argument, Command, InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import type { CliIo } from './cli-io.js';
import { BACKEND_NAMES, PACKAGE_VERSION, REGIONS } from './library.js';
import { FORMAT_CHOICES } from './output.js';

/**
 * The `mp` command tree: commands, flags and help only. Each action lazily imports its command
 * module (so `mp --help` loads no database driver) and hands it the merged options and the io.
 * Errors propagate to `main.ts`, the only place that maps them to exit codes.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('mp');
  // Set before adding subcommands: they copy these settings when created.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // main.ts reports usage errors like every other error (text or --format json, exit 3).
      outputError: () => {},
    })
    .showHelpAfterError(false);

  program
    .description(
      'Fetch Mixpanel events and profiles into a local database (DuckDB by default) and query them with SQL.',
    )
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .option(
      '-a, --account <name>',
      'account from the config file (default: MP_ACCOUNT, the MP_* credentials, default_account)',
    )
    .option(
      '--path <file>',
      'database file (default: {data dir}/{project id}.db; MP_DATA_DIR moves the directory)',
    )
    .option('--ephemeral', 'use a throwaway database, removed when the command ends')
    .addOption(
      new Option('--backend <name>', 'storage backend (default: database.default_backend)').choices(
        BACKEND_NAMES,
      ),
    )
    .addOption(
      new Option(
        '--format <format>',
        'output format (default: table); mp export/import: the file format (parquet, csv, jsonl)',
      ).choices(FORMAT_CHOICES),
    )
    .option('--wait <seconds>', "wait this long for another mp's database lock", seconds)
    .option('-q, --quiet', 'no progress bars, summaries or notes (errors still print)')
    .option('-v, --verbose', 'stack traces and causes on errors')
    .option('--no-progress', 'no progress bars')
    .addHelpText(
      'after',
      examples([
        'mp demo                                     # try everything against a built-in fake Mixpanel',
        'mp auth add prod --username sa.user --project-id 1234567 --region eu --default',
        'mp fetch events --from 2024-06-01 --to 2024-06-30',
        'mp query sql "SELECT event_name, count(*) FROM events GROUP BY 1" --format csv',
        'mp inspect tables',
        'mp export events --output events.parquet',
        'mp migrate --to-backend sqlite --to-path ./copy.sqlite',
      ]) +
        '\nExit codes: 0 ok, 1 error, 2 authentication, 3 invalid arguments, 4 not found, 5 rate limited,\n' +
        '6 database locked, 130 interrupted.\n',
    );

  addFetch(program, io);
  addQuery(program, io);
  addInspect(program, io);
  addFiles(program, io);
  addAuth(program, io);
  addConfig(program, io);

  program
    .command('doctor')
    .description('check the configuration, credentials, region and database; suggest fixes')
    .addHelpText('after', examples(['mp doctor', 'mp doctor --account prod --format json']))
    .action(async (_opts, cmd: Command) => {
      const { doctor } = await import('./commands/doctor.js');
      await doctor(cmd.optsWithGlobals(), io);
    });

  program
    .command('demo')
    .description('fetch a week of data from a built-in fake Mixpanel into a local database and show it')
    .addHelpText('after', examples(['mp demo', 'mp demo --path ./demo.db', 'mp demo --ephemeral']))
    .action(async (_opts, cmd: Command) => {
      const { demo } = await import('./commands/demo.js');
      await demo(cmd.optsWithGlobals(), io);
    });

  program
    .command('fake-server')
    .description('serve the fake Mixpanel on 127.0.0.1 until Ctrl-C; prints {url,username,secret,projectId}')
    .option('--port <n>', 'port (default: any free port)', integer)
    .option('--seed <n>', 'data set seed (default 1)', integer)
    .option('--events <n>', 'average events per day (default 2000)', integer)
    .option('--days <n>', 'days holding events (default 30, from 2024-06-01)', integer)
    .addOption(
      new Option(
        '--export-cache <mode>',
        'serve export days from gzip kept in memory: lazy (built on first request) or precompute (before listening); default off',
      ).choices(['off', 'lazy', 'precompute']),
    )
    .addHelpText(
      'after',
      examples([
        'mp fake-server --seed 7 --days 30 --port 8765',
        'mp fake-server --events 100000 --export-cache precompute   # benchmark a fetch, not the fake',
        'mp fake-server | head -n 1 | jq -r .url     # the first line is JSON',
      ]),
    )
    .action(async (_opts, cmd: Command) => {
      const { fakeServer } = await import('./commands/fake-server.js');
      await fakeServer(cmd.optsWithGlobals(), io);
    });

  return program;
}

function addFetch(program: Command, io: CliIo): void {
  const fetch = program
    .command('fetch')
    .description('fetch events or profiles from Mixpanel into a table (or stream them with --stdout)')
    .addHelpText(
      'after',
      examples(['mp fetch events --from 2024-06-01 --to 2024-06-07', 'mp fetch profiles']),
    );

  fetch
    .command('events')
    .description("fetch raw events (export API) into a table, deduplicated by Mixpanel's rule")
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .option('--to <date>', 'last day, inclusive (default: today, UTC)')
    .option('--name <table>', 'table name (default: events)')
    .option('--events <names>', 'only these event names (comma-separated, repeatable)', list)
    .option('--where <expr>', 'Mixpanel filter expression, e.g. \'properties["plan"] == "pro"\'')
    .option('--limit <n>', 'at most N events per request (1..100000)', integer)
    .addOption(
      new Option('--append', 'add to an existing table; stored events count as duplicates').conflicts(
        'replace',
      ),
    )
    .addOption(new Option('--replace', 'rebuild the table and swap it in atomically').conflicts('append'))
    .option('--parallel', 'fetch several chunks at once')
    .option('--workers <n>', 'chunks in flight (implies --parallel; default 3)', integer)
    .option('--chunk-days <n>', 'days per export request (default 1)', integer)
    .option('--batch-size <n>', 'records per database batch (default 10000)', integer)
    .option('--stdout', 'write JSONL to stdout instead of a table (no database, no lock)')
    .option('--raw', "with --stdout: Mixpanel's own {event, properties} lines")
    .addHelpText(
      'after',
      examples([
        'mp fetch events --from 2024-06-01 --to 2024-06-30',
        'mp fetch events --from 2024-06-01 --to 2024-06-30 --parallel --workers 4 --chunk-days 2',
        'mp fetch events --from 2024-07-01 --to 2024-07-07 --append',
        "mp fetch events --from 2024-06-01 --to 2024-06-07 --events 'Sign Up,Purchase' --name signups",
        'mp fetch events --from 2024-06-01 --to 2024-06-01 --stdout --raw | gzip > day.jsonl.gz',
      ]),
    )
    .action(async (_opts, cmd: Command) => {
      const { fetchEvents } = await import('./commands/fetch.js');
      await fetchEvents(cmd.optsWithGlobals(), io);
    });

  fetch
    .command('profiles')
    .description('fetch user (or group) profiles (Engage API) into a table')
    .option('--name <table>', 'table name (default: profiles)')
    .option('--where <expr>', 'Engage filter expression over profile properties')
    .option('--cohort <id>', 'only members of this saved cohort (see mp inspect cohorts)')
    .option('--output-properties <names>', 'only these properties (comma-separated)', list)
    .option('--distinct-ids <ids>', 'only these profiles (comma-separated)', list)
    .option('--group-id <key>', 'group profiles of this group key instead of users')
    .addOption(
      new Option('--append', 'upsert into an existing table (newer last_seen wins)').conflicts('replace'),
    )
    .addOption(new Option('--replace', 'rebuild the table and swap it in atomically').conflicts('append'))
    .option('--batch-size <n>', 'records per database batch (default 10000)', integer)
    .option('--stdout', 'write JSONL to stdout instead of a table (no database, no lock)')
    .option('--raw', "with --stdout: the API's {distinct_id, properties} objects")
    .addHelpText(
      'after',
      examples([
        'mp fetch profiles',
        'mp fetch profiles --cohort 12345 --name cohort_members --replace',
        'mp fetch profiles --where \'properties["$country_code"] == "DE"\' --output-properties \'$email,$city\'',
        'mp fetch profiles --stdout > profiles.jsonl',
      ]),
    )
    .action(async (_opts, cmd: Command) => {
      const { fetchProfiles } = await import('./commands/fetch.js');
      await fetchProfiles(cmd.optsWithGlobals(), io);
    });
}

function addQuery(program: Command, io: CliIo): void {
  const query = program
    .command('query')
    .description('SQL over the local database, or live reports from Mixpanel')
    .addHelpText('after', examples(['mp query sql "SELECT count(*) FROM events" --scalar']));

  query
    .command('sql')
    .description('run SQL against the local database (read-only: many may run at once)')
    .argument('[sql]', 'the SQL (or --file, or stdin)')
    .option('--file <file>', 'read the SQL from a file')
    .option('--scalar', 'print only the first column of the first row')
    .addHelpText(
      'after',
      examples([
        'mp query sql "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC"',
        'mp query sql "SELECT properties->>\'mp_country_code\' AS country, count(*) FROM events GROUP BY 1" --format csv > countries.csv',
        'mp query sql "SELECT count(*) FROM events" --scalar',
        'mp query sql --file report.sql --format jsonl',
        'echo "SELECT * FROM profiles LIMIT 5" | mp query sql --format json',
      ]),
    )
    .action(async (sql: string | undefined, _opts, cmd: Command) => {
      const { querySql } = await import('./commands/query.js');
      await querySql({ ...cmd.optsWithGlobals(), ...(sql === undefined ? {} : { sql }) }, io);
    });

  query
    .command('segmentation')
    .description('event counts over time, optionally split by a property (live)')
    .requiredOption('-e, --event <name>', 'event name')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD')
    .option('--on <expr>', 'segment by this expression, e.g. \'properties["$browser"]\'')
    .addOption(
      new Option('--unit <unit>', 'bucket size (default day)').choices(['minute', 'hour', 'day', 'month']),
    )
    .addOption(
      new Option('--type <type>', 'count type (default general)').choices(['general', 'unique', 'average']),
    )
    .option('--where <expr>', 'filter expression')
    .option('--limit <n>', 'segments to return with --on', integer)
    .addHelpText(
      'after',
      examples([
        "mp query segmentation -e 'Sign Up' --from 2024-06-01 --to 2024-06-07",
        'mp query segmentation -e Purchase --from 2024-06-01 --to 2024-06-30 --on \'properties["$browser"]\' --type unique',
      ]),
    )
    .action(async (_opts, cmd: Command) => {
      const { querySegmentation } = await import('./commands/query.js');
      await querySegmentation(cmd.optsWithGlobals(), io);
    });

  query
    .command('funnel')
    .description('conversion through a saved funnel, per step (live)')
    .requiredOption('--id <n>', 'funnel id (see mp inspect funnels)', integer)
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD')
    .addOption(new Option('--unit <unit>', 'date bucket').choices(['day', 'week', 'month']))
    .option('--interval <n>', 'days per bucket', integer)
    .option('--length <n>', 'conversion window length', integer)
    .addOption(
      new Option('--length-unit <unit>', 'conversion window unit').choices([
        'second',
        'minute',
        'hour',
        'day',
      ]),
    )
    .option('--on <expr>', 'segment by this expression')
    .option('--where <expr>', 'filter expression')
    .option('--limit <n>', 'segments to return with --on', integer)
    .addHelpText(
      'after',
      examples(['mp inspect funnels', 'mp query funnel --id 7 --from 2024-06-01 --to 2024-06-30']),
    )
    .action(async (_opts, cmd: Command) => {
      const { queryFunnel } = await import('./commands/query.js');
      await queryFunnel(cmd.optsWithGlobals(), io);
    });

  query
    .command('retention')
    .description('how many users come back after a first event, per cohort (live)')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD')
    .option('--born-event <name>', 'the event that puts a user in a cohort (birth retention)')
    .option('--event <name>', 'the event that counts as coming back (default: any)')
    .option('--born-where <expr>', 'filter on the born event')
    .option('--where <expr>', 'filter on the return event')
    .addOption(new Option('--type <type>', 'retention type (default birth)').choices(['birth', 'compounded']))
    .addOption(new Option('--unit <unit>', 'interval unit (default day)').choices(['day', 'week', 'month']))
    .option('--interval <n>', 'units per interval', integer)
    .option('--interval-count <n>', 'intervals to return', integer)
    .option('--on <expr>', 'segment by this expression')
    .option('--limit <n>', 'segments to return with --on', integer)
    .addHelpText(
      'after',
      examples([
        "mp query retention --from 2024-06-01 --to 2024-06-14 --born-event 'Sign Up' --event Purchase",
        "mp query retention --from 2024-06-01 --to 2024-06-30 --born-event 'Sign Up' --unit week --format csv",
      ]),
    )
    .action(async (_opts, cmd: Command) => {
      const { queryRetention } = await import('./commands/query.js');
      await queryRetention(cmd.optsWithGlobals(), io);
    });
}

type InspectModule = typeof import('./commands/inspect.js');

function addInspect(program: Command, io: CliIo): void {
  const inspect = program
    .command('inspect')
    .description('discover what Mixpanel holds (live) or what the local database holds')
    .addHelpText(
      'after',
      '\nLive (Mixpanel API, no database): events, properties, values, funnels, cohorts, top-events\n' +
        'Local (database, read-only):      info, tables, schema, sample, summarize, breakdown, keys, column\n' +
        'Local (database, writes):         drop, drop-all\n' +
        examples(['mp inspect events', 'mp inspect tables', 'mp inspect breakdown -t events']),
    );

  // Every inspect subcommand maps flags straight onto its function's options.
  const run =
    (name: keyof InspectModule) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const commands = await import('./commands/inspect.js');
      await (commands[name] as (options: never, io: CliIo) => Promise<void>)(
        cmd.optsWithGlobals() as never,
        io,
      );
    };

  inspect
    .command('events')
    .description('event names in the project (live)')
    .option('--limit <n>', 'at most N names', integer)
    .addHelpText('after', examples(['mp inspect events', 'mp inspect events --format plain | grep -i sign']))
    .action(run('inspectEvents'));

  inspect
    .command('properties')
    .description("an event's most used property names (live)")
    .requiredOption('-e, --event <name>', 'event name')
    .option('--limit <n>', 'at most N properties', integer)
    .addHelpText('after', examples(["mp inspect properties -e 'Sign Up'"]))
    .action(run('inspectProperties'));

  inspect
    .command('values')
    .description('sample values of a property (live)')
    .requiredOption('-p, --property <name>', 'property name')
    .option('-e, --event <name>', 'only on this event')
    .option('--limit <n>', 'at most N values', integer)
    .addHelpText(
      'after',
      examples(['mp inspect values -p $browser', "mp inspect values -p plan -e 'Sign Up' --limit 20"]),
    )
    .action(run('inspectValues'));

  inspect
    .command('funnels')
    .description('saved funnels (live)')
    .addHelpText('after', examples(['mp inspect funnels']))
    .action(run('inspectFunnels'));

  inspect
    .command('cohorts')
    .description('saved cohorts (live)')
    .addHelpText('after', examples(['mp inspect cohorts --format json']))
    .action(run('inspectCohorts'));

  inspect
    .command('top-events')
    .description("today's most frequent events (live)")
    .option('--limit <n>', 'at most N events', integer)
    .addOption(new Option('--type <type>', 'count type').choices(['general', 'unique', 'average']))
    .addHelpText('after', examples(['mp inspect top-events --limit 5']))
    .action(run('inspectTopEvents'));

  inspect
    .command('info')
    .description('the local database: backend, location, tables, rows, size')
    .addHelpText('after', examples(['mp inspect info', 'mp inspect info --path ./demo.db --format json']))
    .action(run('inspectInfo'));

  inspect
    .command('tables')
    .description('local tables with type, rows and fetched date range')
    .addHelpText('after', examples(['mp inspect tables']))
    .action(run('inspectTables'));

  inspect
    .command('schema')
    .description("a local table's columns and types")
    .requiredOption('-t, --table <name>', 'table name')
    .addHelpText('after', examples(['mp inspect schema -t events']))
    .action(run('inspectSchema'));

  inspect
    .command('sample')
    .description('random rows of a local table')
    .requiredOption('-t, --table <name>', 'table name')
    .option('-n, --n <rows>', 'rows (default 10)', integer)
    .addHelpText('after', examples(['mp inspect sample -t events -n 5 --format json']))
    .action(run('inspectSample'));

  inspect
    .command('summarize')
    .description('per-column count, nulls, distinct, min, max and mean of a local table')
    .requiredOption('-t, --table <name>', 'table name')
    .addHelpText('after', examples(['mp inspect summarize -t events']))
    .action(run('inspectSummarize'));

  inspect
    .command('breakdown')
    .description('per event name: count, users, first and last seen, share (events tables)')
    .requiredOption('-t, --table <name>', 'table name')
    .addHelpText('after', examples(['mp inspect breakdown -t events']))
    .action(run('inspectBreakdown'));

  inspect
    .command('keys')
    .description('property keys of a local table, how often present and their JSON types')
    .requiredOption('-t, --table <name>', 'table name')
    .option('-e, --event <name>', 'only rows of this event')
    .addHelpText('after', examples(['mp inspect keys -t events -e Purchase', 'mp inspect keys -t profiles']))
    .action(run('inspectKeys'));

  inspect
    .command('column')
    .description('count, nulls, distinct and top values of a column or a property (properties.KEY)')
    .requiredOption('-t, --table <name>', 'table name')
    .requiredOption('-c, --column <expr>', 'a column name, or properties.KEY for a property')
    .option('--top <n>', 'top values to show (default 10)', integer)
    .addHelpText(
      'after',
      examples([
        'mp inspect column -t events -c event_name',
        'mp inspect column -t events -c properties.$browser --top 5',
      ]),
    )
    .action(run('inspectColumn'));

  inspect
    .command('drop')
    .description('drop a local table and its metadata (asks first; --force in scripts)')
    .requiredOption('-t, --table <name>', 'table name')
    .option('--force', 'do not ask')
    .addHelpText('after', examples(['mp inspect drop -t signups', 'mp inspect drop -t signups --force']))
    .action(run('inspectDrop'));

  inspect
    .command('drop-all')
    .description('drop every local table, or every table of one type')
    .addOption(new Option('--type <type>', 'only this table type').choices(['events', 'profiles']))
    .option('--force', 'do not ask')
    .addHelpText('after', examples(['mp inspect drop-all --type profiles --force']))
    .action(run('inspectDropAll'));
}

function addFiles(program: Command, io: CliIo): void {
  program
    .command('export')
    .description(
      'write a table (or a query result) to a Parquet, CSV or JSON-lines file, plus a .meta.json sidecar',
    )
    .argument('[table]', 'the table to export (or --query)')
    .option('--query <sql>', 'export the result of this SQL instead of a table')
    .requiredOption('-o, --output <path>', 'the file to write (its directory is created)')
    .addOption(
      new Option(
        '--compression <codec>',
        'parquet: zstd (default), snappy, gzip, none; csv/jsonl: gzip, none',
      ).choices(['zstd', 'snappy', 'gzip', 'none']),
    )
    .option('--overwrite', 'replace an existing file')
    .option('--checksum', "record the table's content checksum in the sidecar (hashes every row)")
    .option('--no-sidecar', 'do not write <path>.meta.json')
    .addHelpText(
      'after',
      '\nThe file format comes from the extension (.parquet, .csv[.gz], .jsonl/.ndjson/.json[.gz]), or from\n' +
        '--format parquet|csv|jsonl. --format json prints the result object instead of the summary line.\n' +
        "Opens the database read-only. Events and profiles as JSON lines use Mixpanel's own shapes.\n" +
        examples([
          'mp export events --output events.parquet',
          'mp export events --output events.jsonl.gz',
          'mp export profiles --output profiles.out --format csv --overwrite',
          'mp export --query "SELECT event_name, count(*) AS n FROM events GROUP BY 1" --output counts.csv',
          'mp --format json export events --output events.parquet --compression snappy',
        ]),
    )
    .action(async (table: string | undefined, _opts, cmd: Command) => {
      const { exportCommand } = await import('./commands/files.js');
      await exportCommand({ ...cmd.optsWithGlobals(), ...(table === undefined ? {} : { table }) }, io);
    });

  program
    .command('import')
    .description(
      'load a file (Mixpanel export, or an mp export) into a table, validated and deduplicated like a fetch',
    )
    .addArgument(new Argument('<type>', 'what the file holds').choices(['events', 'profiles', 'other']))
    .argument('<file>', 'the file (Parquet, CSV, JSON lines; gzip allowed)')
    .argument('[name]', 'table name (default: the type; required for other)')
    .addOption(
      new Option(
        '--append',
        'add to an existing table (events: dedup; profiles: newer last_seen wins)',
      ).conflicts('replace'),
    )
    .addOption(new Option('--replace', 'replace an existing table atomically').conflicts('append'))
    .option('--time-in-ms', "raw Mixpanel events whose 'time' is in milliseconds")
    .option('--no-sidecar', 'ignore <file>.meta.json (no metadata restore, no verification)')
    .option('--batch-size <n>', 'records per database batch (default 10000)', integer)
    .addHelpText(
      'after',
      '\nThe file format comes from the name, or --format parquet|csv|jsonl; --format json prints the result\n' +
        "object. An mp export's sidecar restores the table's metadata and verifies the row count (and checksum).\n" +
        examples([
          'mp import events mixpanel-export.json.gz',
          'mp import events events.parquet events_copy',
          'mp import events more.jsonl --append',
          'mp import profiles profiles.csv --replace',
          'mp import events export.jsonl raw_ms --time-in-ms',
        ]),
    )
    .action(async (type: string, file: string, name: string | undefined, _opts, cmd: Command) => {
      const { importCommand } = await import('./commands/files.js');
      await importCommand(
        { ...cmd.optsWithGlobals(), type, file, ...(name === undefined ? {} : { name }) },
        io,
      );
    });

  program
    .command('migrate')
    .description(
      'copy every table of the current database into another backend, verified by row count and checksum',
    )
    .addOption(
      new Option('--to-backend <name>', 'the target backend').choices(BACKEND_NAMES).makeOptionMandatory(),
    )
    .option('--to-path <file>', "the target's database file (DuckDB, SQLite)")
    .option(
      '--to-url <url>',
      "the target's connection URL (PostgreSQL; default: the config's postgresql settings)",
    )
    .option('--to-schema <name>', "the target's schema (PostgreSQL; default: the config's)")
    .option('--tables <names>', 'only these tables (comma-separated, repeatable)', list)
    .option('--replace', 'replace target tables whose content differs (equal ones are skipped anyway)')
    .option('--batch-size <n>', 'rows per batch (default 10000)', integer)
    .addHelpText(
      'after',
      '\nThe source (--path/--backend) is opened read-only and never written. Each table is copied in one\n' +
        'transaction and compared (rows and checksum on both sides); tables already equal are skipped, so\n' +
        're-running an interrupted migration finishes it. Exit 1 when a table failed or differs.\n' +
        examples([
          'mp migrate --to-backend sqlite --to-path ./copy.sqlite',
          'mp --path ./mp.duckdb migrate --to-backend postgres --to-url postgres://me@localhost/analytics',
          'mp migrate --to-backend duckdb --to-path ./events-only.duckdb --tables events',
        ]),
    )
    .action(async (_opts, cmd: Command) => {
      const { migrateCommand } = await import('./commands/files.js');
      await migrateCommand(cmd.optsWithGlobals(), io);
    });

  program
    .command('backup')
    .description(
      "back the current database up into a new directory (the engine's own tool, or Parquet files)",
    )
    .argument('<out_dir>', 'the directory to create (must not exist)')
    .addOption(
      new Option(
        '--method <method>',
        "auto (default: native when possible), native (the engine's tool or an error), export (Parquet per table, restorable into any backend)",
      ).choices(['auto', 'native', 'export']),
    )
    .option(
      '--no-checksums',
      "skip the manifest's per-table checksums (a restore then checks row counts only)",
    )
    .addHelpText(
      'after',
      examples([
        'mp backup ./backup-2024-07-01',
        'mp backup ./portable --method export',
        'mp --backend postgres backup ./pg-backup',
      ]),
    )
    .action(async (directory: string, _opts, cmd: Command) => {
      const { backupCommand } = await import('./commands/files.js');
      await backupCommand({ ...cmd.optsWithGlobals(), directory }, io);
    });

  program
    .command('restore')
    .description('restore a backup into the current --path/--backend database and verify every table')
    .argument('<in_dir>', 'the backup directory')
    .option('--force', 'overwrite an existing database (tables the backup lacks are dropped)')
    .addHelpText(
      'after',
      '\nA native backup restores into the same backend; an --method export backup into any backend.\n' +
        examples([
          'mp --path ./restored.duckdb restore ./backup-2024-07-01',
          'mp --path ./mp.db restore ./backup-2024-07-01 --force',
          'mp --backend sqlite --path ./from-export.sqlite restore ./portable',
        ]),
    )
    .action(async (directory: string, _opts, cmd: Command) => {
      const { restoreCommand } = await import('./commands/files.js');
      await restoreCommand({ ...cmd.optsWithGlobals(), directory }, io);
    });
}

function addAuth(program: Command, io: CliIo): void {
  const auth = program
    .command('auth')
    .description('Mixpanel accounts in the config file (secrets are never printed)')
    .addHelpText('after', examples(['mp auth list', 'mp auth test']));

  auth
    .command('list')
    .description('configured accounts; the default is marked')
    .addHelpText('after', examples(['mp auth list', 'mp auth list --format json']))
    .action(async (_opts, cmd: Command) => {
      const { authList } = await import('./commands/auth.js');
      await authList(cmd.optsWithGlobals(), io);
    });

  auth
    .command('add')
    .description('add a service account; the secret comes from stdin, MP_SECRET, or a hidden prompt')
    .argument('<name>', 'account name')
    .option('--username <user>', 'service-account user name')
    .option('--project-id <id>', 'project id (digits)')
    .addOption(new Option('--region <region>', 'data residency (default us)').choices(REGIONS))
    .option('--api-base-url <url>', 'API base URL override (a proxy; http only on loopback)')
    .option('--workspace-id <id>', 'data-view workspace id')
    .option('--project-secret', 'the secret is a legacy project API secret (deprecated by Mixpanel)')
    .option('--default', 'make it the default account')
    .option('--replace', 'overwrite an account of the same name')
    .addHelpText(
      'after',
      examples([
        'mp auth add prod --username sa.user.mp-service-account --project-id 1234567 --region eu --default',
        'printf %s "$SECRET" | mp auth add ci --username sa.ci --project-id 1234567',
        'MP_SECRET=... mp auth add staging --username sa.stage --project-id 7654321 --replace',
      ]),
    )
    .action(async (name: string, _opts, cmd: Command) => {
      const { authAdd } = await import('./commands/auth.js');
      await authAdd({ ...cmd.optsWithGlobals(), name }, io);
    });

  auth
    .command('remove')
    .description('remove an account')
    .argument('<name>', 'account name')
    .addHelpText('after', examples(['mp auth remove staging']))
    .action(async (name: string, _opts, cmd: Command) => {
      const { authRemove } = await import('./commands/auth.js');
      await authRemove({ ...cmd.optsWithGlobals(), name }, io);
    });

  auth
    .command('switch')
    .alias('default')
    .description('make an account the default')
    .argument('<name>', 'account name')
    .addHelpText('after', examples(['mp auth switch prod']))
    .action(async (name: string, _opts, cmd: Command) => {
      const { authSwitch } = await import('./commands/auth.js');
      await authSwitch({ ...cmd.optsWithGlobals(), name }, io);
    });

  auth
    .command('show')
    .description('one account, or the credentials in effect and their source (secret masked)')
    .argument('[name]', 'account name')
    .addHelpText('after', examples(['mp auth show', 'mp auth show prod --format json']))
    .action(async (name: string | undefined, _opts, cmd: Command) => {
      const { authShow } = await import('./commands/auth.js');
      await authShow({ ...cmd.optsWithGlobals(), ...(name === undefined ? {} : { name }) }, io);
    });

  auth
    .command('test')
    .description('check that Mixpanel accepts the credentials (one cheap API call)')
    .argument('[name]', 'account name (default: the credentials in effect)')
    .addHelpText('after', examples(['mp auth test', 'mp auth test prod']))
    .action(async (name: string | undefined, _opts, cmd: Command) => {
      const { authTest } = await import('./commands/auth.js');
      await authTest({ ...cmd.optsWithGlobals(), ...(name === undefined ? {} : { name }) }, io);
    });
}

function addConfig(program: Command, io: CliIo): void {
  const config = program
    .command('config')
    .description('the configuration in effect')
    .addHelpText('after', examples(['mp config show', 'mp config show --effective --format json']));
  config
    .command('show')
    .description('every key with its value and source (default, file, env, option); secrets masked')
    .option('--effective', 'also open the backend and show the values it actually applied')
    .addHelpText(
      'after',
      examples([
        'mp config show',
        'mp config show --effective',
        'MP_DUCKDB_THREADS=2 mp config show --effective',
      ]),
    )
    .action(async (_opts, cmd: Command) => {
      const { configShow } = await import('./commands/config.js');
      await configShow(cmd.optsWithGlobals(), io);
    });
}

/** The "Examples" block of a command's help. */
function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** A non-negative integer flag value. */
function integer(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new CommanderArgumentError('expected a whole number.');
  return Number(value);
}

/** `--wait` seconds (fractions allowed). */
function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new CommanderArgumentError('expected seconds (>= 0).');
  return n;
}

/** A comma-separated, repeatable list flag: `--events A,B --events C` → [A, B, C]. */
function list(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}
