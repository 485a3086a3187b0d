import { createRequire } from 'node:module';

/** This package's version, recorded in `_metadata` so a table says which release wrote it. */
export const PACKAGE_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
