/**
 * Express middleware for the iam-auth-proxy protocol: `app.use(iamAuth(options))`.
 * Error codes (IamAuthError.code → HTTP status) are listed in errors.ts and docs/protocol.md.
 */
export { iamAuth } from "./iam-auth.js";
export { IamAuthError, type IamAuthErrorCode } from "./errors.js";
export type { IamIdentity, IamSession } from "./identity.js";
export { DEFAULT_AUTH_PATH, DEFAULT_COOKIE_NAME } from "./options/options.js";
export type {
  AuthMethod,
  FailedSignInLimitOptions,
  IamAuthOptions,
  KmsMethodOptions,
  StsClientFactory,
  StsFetch,
  StsFetchInit,
  StsMethodOptions,
} from "./options/options.js";
export { describeOptionProblem, type TextOptionName } from "./options/options.js";
export type { ReplayStore } from "./stores/replay-store.js";
export {
  createEventLogger,
  isLoggerOption,
  type LoggerOption,
  type StructuredLogger,
} from "./operations/log.js";
export {
  createIamAuthMetrics,
  type IamAuthMetrics,
  type IamAuthMetricsOptions,
} from "./operations/metrics.js";
export { AUDIT_EVENT, type AuditAction, type AuditOutcome, type AuditReason } from "./operations/audit.js";
export { REQUEST_ID_HEADER, requestIdOf } from "./operations/request-id.js";
export {
  MemoryReplayStore,
  DEFAULT_MAX_REPLAY_ENTRIES,
  type MemoryReplayStoreOptions,
} from "./stores/memory-replay-store.js";
export {
  createRedisStores,
  describeRedisUrlProblem,
  describeKeyPrefixProblem,
  redactRedisUrl,
  MemoryRevocationStore,
  RedisReplayStore,
  RedisRevocationStore,
  DEFAULT_KEY_PREFIX,
  REVOCATION_CACHE_MS,
  type MemoryRevocationStoreOptions,
  type RedisCommands,
  type RedisPing,
  type RedisReplayStoreOptions,
  type RedisRevocationStoreOptions,
  type RedisStores,
  type RedisStoresOptions,
  type RevocationStore,
} from "./stores/index.js";
/** The pages' building blocks, for apps that want their own pages to match (the example server's home uses them). */
export { html, type SafeHtml, type HtmlValue } from "../protocol/index.js";
export {
  renderHtmlPage,
  prefersHtml,
  PAGE_CONTENT_SECURITY_POLICY,
  type HtmlPageContent,
} from "./pages/html-page.js";
