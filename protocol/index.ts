export { parseArn, canonicalPrincipalArn, type Arn } from "./arn.js";
export {
  readAuthQuery,
  buildAuthLocation,
  buildAuthTarget,
  MAX_TOKEN_LENGTH,
  type AuthQuery,
} from "./auth-query.js";
export { AUTH_PATH_PARAM, MAX_AUTH_PATH_LENGTH, checkAuthPath } from "./auth-path.js";
export { decodeStrictBase64, encodeBase64 } from "./base64.js";
export { describeClientError, formatPlainTextResponse, type ClientErrorAnswer } from "./client-error.js";
export {
  findIamChallenge,
  formatIamChallenge,
  type IamChallenge,
  type ChallengeLookup,
} from "./challenge.js";
export {
  encodeEncryptionContext,
  decodeEncryptionContext,
  checkEncryptionContext,
  type EncryptionContext,
} from "./encryption-context.js";
export { ProtocolError, type ProtocolErrorCode } from "./errors.js";
export {
  KMS_SERVER_ID_CONTEXT_KEY,
  KMS_BOUND_TOKEN_PREFIX,
  bindEncryptionContext,
  checkNoReservedKey,
  formatKmsToken,
  parseKmsToken,
  type KmsToken,
} from "./kms-token.js";
export {
  WWW_AUTHENTICATE_HEADER,
  KMS_KEY_ID_HEADER,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  AUTH_PATH,
  IAM_AUTH_SCHEME,
  SESSION_TOKEN_DURATION_SECONDS,
} from "./headers.js";
export { escapeHtml, html, toHtmlString, type SafeHtml, type HtmlValue } from "./html.js";
export {
  renderHtmlPage,
  PAGE_CONTENT_SECURITY_POLICY,
  READ_ONLY_PAGE_CONTENT_SECURITY_POLICY,
  type HtmlPageContent,
} from "./html-page.js";
export { formatLogLine, type LogValue } from "./log-line.js";
export {
  createSdkWarningLogger,
  describeProcessWarning,
  reportProcessWarnings,
  type SdkLogger,
  type WarningFields,
} from "./sdk-warnings.js";
export {
  DEFAULT_PROOF_HEADER,
  NONCE_PATH_SUFFIX,
  formatProofHeaderValue,
  isIamProofValue,
  readProofHeader,
  type NonceAnswer,
} from "./proof-header.js";
export { checkReturnUrl, MAX_RETURN_URL_LENGTH } from "./return-url.js";
export {
  serializeSessionCredentials,
  parseSessionCredentials,
  type SessionCredentials,
} from "./session-credentials.js";
export { normalizeAuthority } from "./authority.js";
export { isAwsStsHost, regionOfStsHost } from "./sts-hosts.js";
export {
  STS_PROOF_PREFIX,
  SERVER_ID_HEADER,
  NONCE_HEADER,
  MAX_STS_PROOF_LENGTH,
  STS_PROOF_SIGNED_HEADERS,
  formatStsProof,
  isStsProofToken,
  parseStsProof,
  checkPresignedCallerIdentity,
  type StsProof,
  type PresignedCallRules,
  type CheckedPresignedCall,
} from "./sts-proof.js";
export {
  buildPolicies,
  describeKeyArnProblem,
  formatPolicies,
  KEY_ARN_PLACEHOLDER,
  type NoPolicyNeeded,
  type PolicyDocument,
  type PolicyRequest,
  type PolicyStatement,
} from "./iam-policies.js";
