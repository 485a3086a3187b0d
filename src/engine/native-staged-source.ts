import type { Session, StatementOptions } from '../backend/backend.js';
import type { TableType } from './records.js';

/**
 * A source the backend loads itself, straight into the engine's staging table (for example DuckDB
 * reading a flat Parquet, CSV or JSONL file with its own reader). `stage` inserts the rows with the
 * staging table's columns, `_proc` and `_seq` included, and resolves to the number inserted; the
 * engine then applies its usual dedup, promotion or append, and metadata, in the same transaction.
 * Internal: the file importer builds these from a backend's import plan.
 */
export class NativeStagedSource {
  constructor(
    readonly type: TableType,
    readonly stage: (session: Session, staging: string, options: StatementOptions) => Promise<number>,
  ) {}
}
