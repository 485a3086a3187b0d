export { postgresBackend } from './postgres-backend.js';
export type { PostgresSettings } from './postgres-config.js';
