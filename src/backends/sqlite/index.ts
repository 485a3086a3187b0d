export { sqliteBackend } from './sqlite-backend.js';
export type { SqliteConfig } from './sqlite-config.js';
