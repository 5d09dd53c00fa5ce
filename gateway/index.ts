/**
 * The IAM gateway: `iamAuth()` in front of any HTTP app, passing the signed-in identity on in
 * headers and a signed assertion (`createGateway`), and the `iam-auth-gateway` command (cli/).
 */
export { createGateway, JWKS_PATH, type Gateway } from "./gateway.js";
export type { GatewayOptions } from "./options.js";
export { DEFAULT_IDENTITY_HEADERS, type IdentityHeaderNames } from "./identity-headers.js";
export { MAX_ASSERTION_TTL_SECONDS } from "./assertion.js";
export { createHealth, HEALTH_PATH, READY_PATH, type Health } from "./health.js";
export { startMetricsServer, METRICS_PATH, type MetricsServer } from "./metrics.js";
export { watchConnections, type GracefulCloser } from "./graceful-close.js";
export { parseBindAddress, formatHostPort, type BindAddress } from "./bind-address.js";
export { createJsonLogger, logCommandEvent, LOG_FORMATS, type LogFormat } from "./json-logger.js";
export {
  answerClientErrors,
  applyServerLimits,
  checkServerLimits,
  createLimitedServer,
  DEFAULT_SERVER_LIMITS,
  type ServerLimits,
} from "./server-limits.js";
