export type { AuthDescription, MixpanelAuth, ProjectSecretAuth, ServiceAccountAuth } from './auth.js';
export { type Clock, ManualClock, type ManualClockOptions, systemClock } from './clock.js';
export {
  type BaseUrls,
  buildUrl,
  ENGAGE_PATH,
  type EndpointFamily,
  EXPORT_PATH,
  type MixpanelRegion,
  normaliseBaseUrl,
  queryPath,
  resolveBaseUrls,
} from './endpoints.js';
export { type EngagePage, isSessionError } from './engage-pager.js';
export type {
  ExportAttempt,
  ExportAttemptInfo,
  ExportParams,
  ExportRequestInfo,
  MixpanelWarning,
  RawEvent,
} from './event-export.js';
export { type DateRange, type ExportPlan, MAX_DAYS_PER_EXPORT, splitRange } from './export-plan.js';
export {
  fetchTransport,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  nodeHttpTransport,
} from './http-request.js';
export type { LineBlock } from './line-blocks.js';
export { LosslessLineParser, parseJsonLossless, parseJsonNumber } from './lossless-json-line.js';
export {
  MixpanelClient,
  type MixpanelClientDescription,
  type MixpanelClientOptions,
  type RateLimitOptions,
} from './mixpanel-client.js';
export { errorForResponse, isRetryableError, serverMessage } from './mixpanel-errors.js';
export { type NdjsonLine, readNdjsonLines } from './ndjson-reader.js';
export type * from './query-types.js';
export { parseRateLimitList, type RateLimitInfo, readRateLimitHeaders } from './rate-limit-headers.js';
export {
  type AcquireOptions,
  type BucketLimits,
  DEFAULT_BUCKET_LIMITS,
  type RateLimitBucket,
  RateLimiter,
  type RateLimiterKey,
  RateLimiterRegistry,
  type RateLimiterSnapshot,
  type RatePermit,
  sharedRateLimiters,
} from './rate-limiter.js';
export {
  backoffDelay,
  parseRetryAfter,
  type RetryOptions,
  type RetryPolicy,
  resolveRetryPolicy,
} from './retry-policy.js';
