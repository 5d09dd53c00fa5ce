export { createProxyServer, type ProxyServer, type ProxyServerOptions } from "./forward/proxy-server.js";
export { createAwsLoginDependencies, type AwsLoginOptions } from "./aws/aws-login.js";
export { createAwsSession, type AwsSession } from "./aws/aws-session.js";
export { type AssumeRoleOptions, type AwsCredentials, type CredentialProvider } from "./aws/credentials.js";
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
} from "./aws/types.js";
export { loginWithKms, type KmsChallenge, type LoginResult } from "./aws/kms-login.js";
export { loginWithSts, type StsChallenge } from "./aws/sts-login.js";
export {
  presignCallerIdentity,
  defaultStsEndpoint,
  PROOF_EXPIRES_SECONDS,
  type PresignInput,
} from "./aws/sts-presign.js";
export { chooseLoginMethod, offeredMethods, type MethodChoice } from "./signin/login-method.js";
export {
  createChallengeAnswerer,
  readChallenge,
  type AppChallenge,
  type ChallengeAnswerer,
  type ChallengeAnswererOptions,
  type ChallengeDecision,
  type UpstreamResponseHead,
} from "./signin/challenge-answerer.js";
export {
  decideOnResponse,
  sendsStoredSession,
  updatesStoredSession,
  type ResponseDecision,
  type ResponseFacts,
} from "./signin/policy.js";
export { CookieJar, type CookieJarOptions, type StoredCookie } from "./http/cookie-jar.js";
export { createTerminalMfaPrompt, type TerminalMfaPromptOptions } from "./cli/mfa-prompt.js";
export { reportCredentialStatus } from "./aws/credential-check.js";
export { formatBindAddress, parseBindAddress, type BindAddress } from "./http/bind-address.js";
export { createStreamLogger, type LogFields, type ProxyLogger } from "./common/log.js";
export { ProxyError, type ProxyErrorCode } from "./common/errors.js";
export {
  formatHostPattern,
  parseHostPattern,
  matchesAnyHost,
  type HostPattern,
} from "./http/host-pattern.js";
export {
  parseSocksEndpoint,
  createSocksConnector,
  type SocksEndpoint,
  type TcpConnector,
} from "./upstream/socks-connector.js";
export {
  createUpstreamConnections,
  type UpstreamConnections,
  type UpstreamConnectionOptions,
} from "./upstream/upstream-connections.js";
export type { AwsAgents } from "./aws/aws-clients.js";
export { defaultCaDir, loadOrCreateCa, MitmError, type LocalCa, type MitmErrorCode } from "./mitm/index.js";
export { renderPacFile, pacContentType } from "./pages/pac-file.js";
export {
  createReverseProxy,
  type ReverseListener,
  type ReverseProxy,
  type ReverseProxyOptions,
  type ReverseUpstreamOptions,
} from "./reverse/index.js";
