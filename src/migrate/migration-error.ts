import { type ErrorCode, MixpanelDataError } from '../errors.js';
import type { MigrationReport } from './migrate-types.js';

/**
 * A migration stopped by an error. It keeps the code of the error that stopped it (`ABORTED`,
 * `TABLE_EXISTS`, `QUERY_FAILED`…), that error as `cause`, and the report of what moved: tables
 * `migrated` or `skipped` are complete on the target, the `failed` one was rolled back there, and
 * `pending` ones were not reached. The source is never written. Running the migration again
 * completes the rest (complete tables are recognised by count and checksum and skipped).
 */
export class MigrationError extends MixpanelDataError {
  readonly report: MigrationReport;

  constructor(cause: unknown, table: string, report: MigrationReport) {
    const code: ErrorCode = cause instanceof MixpanelDataError ? cause.code : 'INTERNAL';
    const moved = report.tables
      .filter((t) => t.status === 'migrated' || t.status === 'skipped')
      .map((t) => t.name);
    const pending = report.tables.filter((t) => t.status === 'pending').map((t) => t.name);
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      code,
      `Migration stopped at table '${table}': ${reason}\n` +
        `Complete on the target: ${moved.length > 0 ? moved.join(', ') : 'none'}. ` +
        `Not started: ${pending.length > 0 ? pending.join(', ') : 'none'}. ` +
        `Table '${table}' was rolled back on the target; run the migration again to complete it.`,
      { cause, details: { table, moved, pending } },
    );
    this.report = report;
  }
}
