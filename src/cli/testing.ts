/**
 * The CLI's import point for `mixpanel-data/testing` (the fake Mixpanel behind `mp demo` and
 * `mp fake-server`). Library code never imports it; the CLI may, as any user of the package can.
 */
export { type FakeMixpanel, runFakeServer, startFakeMixpanel } from '../testing/index.js';
