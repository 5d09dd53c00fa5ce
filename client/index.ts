/**
 * A Node.js client that answers IAM challenges in-process: `createIamFetch()` returns a `fetch`,
 * `createIamDispatcher()` an undici dispatcher, that sign in to iam-auth-proxy-protected apps
 * with the AWS SDK's default credentials (an ECS task, EKS pod, Lambda or EC2 role, a profile,
 * SSO…), no proxy process needed.
 */
export { IamSignInError, type IamClientOptions } from "./app-sessions.js";
export { createIamFetch, type IamFetchOptions } from "./iam-fetch.js";
export { createIamDispatcher, createIamInterceptor, type IamDispatcherOptions } from "./iam-dispatcher.js";
