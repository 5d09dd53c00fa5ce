/**
 * Express middleware for the iam-auth-proxy protocol: `app.use(iamAuth(options))`.
 * Error codes (IamAuthError.code → HTTP status) are listed in errors.ts.
 */
export { iamAuth } from "./iam-auth.js";
export { IamAuthError, type IamAuthErrorCode } from "./errors.js";
export type { IamIdentity } from "./identity.js";
export type { IamAuthOptions, KmsMethodOptions, StsClientFactory } from "./options.js";
