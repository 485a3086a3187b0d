export { duckdbBackend } from './duckdb-backend.js';
export type { DuckDbSettings } from './duckdb-config.js';
