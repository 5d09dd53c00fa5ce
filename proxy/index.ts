export { createProxyServer, type ProxyServer, type ProxyServerOptions } from "./proxy-server.js";
export { createAwsLoginDependencies, type AwsLoginOptions } from "./aws-login.js";
export { type AssumeRoleOptions, type AwsCredentials, type CredentialProvider } from "./credentials.js";
export {
  loginWithKms,
  type CallerIdentity,
  type EncryptInput,
  type GetSessionTokenInput,
  type KmsApi,
  type KmsChallenge,
  type KmsLoginDependencies,
  type LoginResult,
  type LoginTarget,
  type MfaDevice,
  type StsApi,
} from "./kms-login.js";
export { answerChallenge, type ChallengeDecision, type UpstreamResponseHead } from "./challenge-answerer.js";
export { reportCredentialStatus } from "./credential-check.js";
export { parseBindAddress, type BindAddress } from "./bind-address.js";
export { createStreamLogger, type LogFields, type ProxyLogger } from "./log.js";
export { ProxyError, type ProxyErrorCode } from "./errors.js";
