/**
 * The one place `src/cli/` imports the library from. The CLI can do nothing a library user cannot,
 * so everything here comes from the public entry.
 */

export type { BackendName, ErrorCode, FetchProgress, Region, ResultSet } from '../index.js';
export {
  AbortedError,
  AccountNotFoundError,
  addAccount,
  BACKEND_NAMES,
  dataDir,
  FileNotFoundError,
  InvalidArgumentError,
  listAccounts,
  loadConfig,
  MASK,
  MixpanelDataError,
  PACKAGE_VERSION,
  RateLimitError,
  REGIONS,
  redactedEntries,
  removeAccount,
  resolveCredentials,
  setDefaultAccount,
  stringifyJson,
  Workspace,
} from '../index.js';
