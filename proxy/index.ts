export { createProxyServer, type ProxyServer, type ProxyServerOptions } from "./proxy-server.js";
export { createAwsLoginDependencies, type AwsLoginOptions } from "./aws-login.js";
export { createAwsSession, type AwsSession } from "./aws-session.js";
export { type AssumeRoleOptions, type AwsCredentials, type CredentialProvider } from "./credentials.js";
export type {
  CallerIdentity,
  EncryptInput,
  GetSessionTokenInput,
  KmsApi,
  LoginDependencies,
  LoginFlow,
  LoginMethod,
  LoginMethodPreference,
  LoginTarget,
  MfaCodeReader,
  MfaDevice,
  MfaSource,
  StsApi,
  StsProofTarget,
} from "./login-types.js";
export { loginWithKms, type KmsChallenge, type LoginResult } from "./kms-login.js";
export { loginWithSts, type StsChallenge } from "./sts-login.js";
export {
  presignCallerIdentity,
  defaultStsEndpoint,
  PROOF_EXPIRES_SECONDS,
  type PresignInput,
} from "./sts-presign.js";
export { chooseLoginMethod, offeredMethods, type MethodChoice } from "./login-method.js";
export {
  createChallengeAnswerer,
  isIamChallenge,
  type ChallengeAnswerer,
  type ChallengeAnswererOptions,
  type ChallengeDecision,
  type UpstreamResponseHead,
} from "./challenge-answerer.js";
export { CookieJar, type CookieJarOptions, type StoredCookie } from "./cookie-jar.js";
export { createTerminalMfaPrompt, type TerminalMfaPromptOptions } from "./mfa-prompt.js";
export { reportCredentialStatus } from "./credential-check.js";
export { parseBindAddress, type BindAddress } from "./bind-address.js";
export { createStreamLogger, type LogFields, type ProxyLogger } from "./log.js";
export { ProxyError, type ProxyErrorCode } from "./errors.js";
export { parseHostPattern, matchesAnyHost, type HostPattern } from "./host-pattern.js";
export {
  parseSocksEndpoint,
  createSocksConnector,
  type SocksEndpoint,
  type TcpConnector,
} from "./socks-connector.js";
export {
  createUpstreamConnections,
  type UpstreamConnections,
  type UpstreamConnectionOptions,
} from "./upstream-connections.js";
export type { AwsAgents } from "./aws-clients.js";
export { defaultCaDir, loadOrCreateCa, MitmError, type LocalCa, type MitmErrorCode } from "./mitm/index.js";
export { renderPacFile, pacContentType } from "./pac-file.js";
export {
  createReverseProxy,
  resolveUpstreams,
  type ResolvedUpstreams,
  type ReverseListener,
  type ReverseProxy,
  type ReverseProxyOptions,
  type ReverseUpstream,
  type ReverseUpstreamOptions,
} from "./reverse/index.js";
