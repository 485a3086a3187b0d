/**
 * `mixpanel-data/testing`: a faithful fake Mixpanel for tests, benchmarks and `mp fake-server`.
 * One seeded data set answers export, Engage and the Query API, so all answers agree.
 */

export type { FakeExportedEvent } from './event-line.js';
export type { FakeEventFilter } from './fake-expected.js';
export { FakeExpected } from './fake-expected.js';
export type {
  FakeMixpanel,
  FakeMixpanelEnv,
  FakeServiceAccount,
} from './fake-mixpanel-server.js';
export { startFakeMixpanel } from './fake-mixpanel-server.js';
export type { FakeEventNameWeight, FakeMixpanelOptions } from './fake-options.js';
export { DEFAULT_EVENT_NAMES } from './fake-options.js';
export type { FakeCohort, FakeFunnel, FakeProfile } from './fake-population.js';
export type {
  FakeAuthFault,
  FakeCutFault,
  FakeFault,
  FakeFaultMatch,
  FakeFaultRule,
  FakeGarbageLineFault,
  FakeRateLimitFault,
  FakeRequestInfo,
  FakeResetFault,
  FakeSessionExpiredFault,
  FakeSlowFault,
  FakeStatusFault,
  FakeTerminatedEarlyFault,
} from './faults.js';
export type { FakeJsonValue } from './json-text.js';
export type { FakeProfileFilter } from './profile-query.js';
export type { FakeRateLimitQuotas } from './rate-limits.js';
export type { FakePrincipal, FakeRequestFamily, FakeRequestRecord } from './request-log.js';
export type { FakeServerAnnouncement } from './run-fake-server.js';
export { runFakeServer } from './run-fake-server.js';
