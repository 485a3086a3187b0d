import { quoteIdentifierStandard as q } from '../../backend/sql-dialect.js';
import {
  type ExportLineShape,
  LINE_PROBLEMS,
  linesReader,
  RESTORED_PROPERTIES,
  restoredLines,
} from './duckdb-export-lines-sql.js';
import { type FlatLoader, runStaging } from './duckdb-flat-sql.js';

/**
 * One native lane of this package's own JSON-lines exports (events, profiles): how its lines are
 * laid out, and how a row of {@link restoredLines} becomes a row of the staging table. The lanes
 * differ only in those; reading, restoring and error reporting are the same.
 */
export interface ExportLinesLane {
  /** What the lines hold, for the reason a Parquet or CSV file is not taken. */
  readonly what: string;
  readonly shape: ExportLineShape;
  /** The staging table's columns, in the order `select` gives them. */
  readonly columns: readonly string[];
  /** The SELECT list over the rows (`seq`, `j`), given the restored properties expression. */
  readonly select: (properties: string) => string;
  /** The problem text of each field the lane's SQL rejects. */
  readonly problems: Readonly<Record<string, string>>;
}

/** A loader (planned by `planFlatLoad`) of a lane's files: JSON lines only, read as text lines. */
export function exportLinesLoader(lane: ExportLinesLane): FlatLoader<{ readonly from: string }> {
  const notJsonLines = `${lane.what} are JSON lines`;
  const problems = { ...lane.problems, ...LINE_PROBLEMS };
  return {
    parquet: async () => notJsonLines,
    csv: () => notJsonLines,
    jsonl: (file) => ({ from: linesReader(file) }),
    stage: (session, staging, path, { from }, options) => {
      const sql =
        `INSERT INTO ${q(staging)} (${lane.columns.map(q).join(', ')}) ` +
        `SELECT ${lane.select(RESTORED_PROPERTIES)} FROM (${restoredLines(from, lane.shape)})`;
      return runStaging(session, sql, path, problems, options);
    },
  };
}
