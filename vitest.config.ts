import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One PostgreSQL cluster for the whole run, started on 127.0.0.1 by the global setup (or a
    // printed skip reason when the server binaries are missing; MP_REQUIRE_POSTGRES=1 makes that fatal).
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Database tests spawn processes and hold file locks; two workers fit the 2-core machines.
    maxWorkers: 2,
  },
});
