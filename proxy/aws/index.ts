/**
 * aws/: the person's AWS side — credentials (profiles, SSO, roles, MFA), the STS and KMS calls,
 * and the two proofs (a presigned sts:GetCallerIdentity, KMS-encrypted session credentials).
 * Serves no HTTP and reaches no app. May import: http/, common/ (and ../../protocol); npm run lint
 * enforces the layers (eslint.config.js).
 */
export * from "./aws-clients.js";
export * from "./aws-login.js";
export * from "./aws-session.js";
export * from "./credential-check.js";
export * from "./credentials.js";
export * from "./kms-login.js";
export * from "./sts-login.js";
export * from "./sts-presign.js";
export * from "./types.js";
