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
