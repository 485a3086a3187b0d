/**
 * mixpanel-data: fetch Mixpanel events and profiles once, keep them in a local analytical database,
 * and query them with SQL. This file is the public API; everything else is internal.
 */

export type {
  AppliedSetting,
  BackendName,
  SqlParams,
  StorageMode,
  StorageStats,
} from './backend/backend.js';
export { BACKEND_NAMES } from './backend/backend-registry.js';
export type { ResultColumn, ResultSet } from './backend/result-set.js';
export { backupDatabase } from './backup/backup-database.js';
export type {
  BackupMethod,
  BackupOptions,
  BackupResult,
  BackupTable,
  RestoredTable,
  RestoreOptions,
  RestoreResult,
} from './backup/backup-types.js';
export { restoreDatabase } from './backup/restore-database.js';
export type { Config, ConfigEntry, Region } from './config/index.js';
// Configuration and accounts: the same file the `mp` CLI reads and writes.
export {
  addAccount,
  Credentials,
  dataDir,
  defaultDatabasePath,
  listAccounts,
  loadConfig,
  MASK,
  REGIONS,
  redactedEntries,
  removeAccount,
  resolveCredentials,
  setDefaultAccount,
} from './config/index.js';
export { MixpanelExportFile } from './engine/mixpanel-export-file.js';
export { PreparedExportFile } from './engine/prepared-export-file.js';
export type { RecordSource } from './engine/record-batches.js';
export type {
  AppendResult,
  CreateTableOptions,
  EventRecord,
  IngestOptions,
  ProfileRecord,
  StoredTableMetadata,
  TableMetadata,
  TableType,
  TimeInput,
} from './engine/records.js';
export type {
  ColumnInfo,
  ExecuteOptions,
  StorageOpenOptions,
  StreamOptions,
  TableInfo,
  TableSchema,
} from './engine/storage-engine.js';
export { StorageEngine } from './engine/storage-engine.js';
export type { ErrorCode } from './errors.js';
export {
  AbortedError,
  AccountNotFoundError,
  ApiError,
  AuthenticationError,
  BackendUnavailableError,
  ConfigError,
  DatabaseClosedError,
  DatabaseLockedError,
  DatabaseNotFoundError,
  FileNotFoundError,
  InvalidArgumentError,
  InvalidRecordError,
  MixpanelDataError,
  QueryError,
  RateLimitError,
  ReadOnlyError,
  TableExistsError,
  TableNotFoundError,
  UnsupportedError,
} from './errors.js';
export type { ExportOptions, ExportResult } from './io/export-types.js';
export type { FileCompression, FileFormat } from './io/file-options.js';
export type { ImportLane, ImportOptions, ImportResult, ImportVerification } from './io/import-types.js';
export type { TableColumn, TableLoad } from './io/load-table.js';
export { checksumTable, type TableChecksum } from './io/table-checksum.js';
export type { TableKind } from './io/table-layout.js';
export { migrateDatabase } from './migrate/migrate-database.js';
export type {
  MigrateOptions,
  MigrationProgress,
  MigrationReport,
  TableMigration,
  TableMigrationStatus,
  TableSide,
} from './migrate/migrate-types.js';
export { MigrationError } from './migrate/migration-error.js';
export type { RawEvent } from './mixpanel/index.js';
// The Mixpanel client, for direct use without a database.
export { MixpanelClient } from './mixpanel/index.js';
// Bigint-exact JSON text: what the engine stores and the CLI prints.
export { parseJsonLossless, stringifyJson } from './values/json-text.js';
export { PACKAGE_VERSION } from './version.js';
export type {
  FetchChunkResult,
  FetchEventsOptions,
  FetchProfilesOptions,
  FetchProfilesResult,
  FetchProgress,
  FetchResult,
  StreamEventsOptions,
  StreamProfilesOptions,
} from './workspace/fetch-types.js';
export { Workspace } from './workspace/workspace.js';
export type { WorkspaceClientOptions, WorkspaceOptions } from './workspace/workspace-options.js';
