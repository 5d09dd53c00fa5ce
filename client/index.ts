/**
 * A Node.js client that answers IAM challenges in-process: `createIamFetch()` returns a `fetch`
 * that signs in to iam-auth-proxy-protected apps with the AWS SDK's default credentials (an
 * ECS task, EKS pod, Lambda or EC2 role, a profile, SSO…), no proxy process needed.
 */
export { createIamFetch, IamSignInError, type IamFetchOptions } from "./iam-fetch.js";
