import { createAwsLoginDependencies, type AwsLoginOptions } from "../proxy/aws/aws-login.js";
import { createAwsSession } from "../proxy/aws/aws-session.js";
import type { LoginMethodPreference } from "../proxy/aws/types.js";
import type { ProxyErrorCode } from "../proxy/common/errors.js";
import { CookieJar } from "../proxy/http/cookie-jar.js";
import { parseHostPattern } from "../proxy/http/host-pattern.js";
import { createChallengeAnswerer, type AppChallenge } from "../proxy/signin/challenge-answerer.js";
import { createAppPolicy } from "../proxy/signin/policy.js";
import { returnUrlFor } from "../proxy/signin/self-login.js";

/** Options every form of the client takes (createIamFetch, createIamDispatcher). */
export interface IamClientOptions {
  /**
   * How to reach AWS as the caller: profile, region, role to assume, STS endpoint (as the
   * proxy's `--profile`, `--assume-role-arn`, …). Default: the AWS SDK's default credential
   * chain — environment, profile, SSO, and the ECS task, EKS pod or EC2 instance role. Proofs
   * name AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the regional STS endpoint.
   */
  readonly aws?: AwsLoginOptions;
  /** Which proof to give: `auto` (STS when offered, else KMS), `sts` or `kms`. Default `auto`. */
  readonly method?: LoginMethodPreference;
  /**
   * Apps (`host[:port]` patterns, as the proxy's `--kms-host`) that may receive a KMS proof — your
   * temporary credentials, encrypted for them. Default none: KMS-only apps are refused (STS only).
   */
  readonly kmsHosts?: readonly string[];
}

/** Why the client could not sign in; `code` is the proxy's error code for the same case. */
export class IamSignInError extends Error {
  override readonly name = "IamSignInError";
  constructor(
    readonly code: ProxyErrorCode | "SIGN_IN_REFUSED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the hand-over at the app's auth path got back. */
export interface AuthAnswer {
  readonly status: number;
  readonly setCookies: readonly string[];
  /** The first line of the body: the app's reason when it refused. */
  readonly reason: string;
}

/** Sends `GET authUrl` with `cookie` (no redirects followed): how each client form reaches the app. */
export type SendAuth = (authUrl: URL, cookie: string) => Promise<AuthAnswer>;

/** The sessions a client holds, one per app, and how it gets them. */
export interface AppSessions {
  /** The Cookie header to add to a request for `url` (the app's session), or "" when none. */
  cookieFor(url: URL): string;
  /**
   * Signs in to the app at `url` after it answered `challenge` (and set `setCookies`, the nonce
   * cookie among them); concurrent sign-ins to one app share one. Throws IamSignInError.
   */
  signIn(url: URL, challenge: AppChallenge, setCookies: readonly string[]): Promise<void>;
}

/**
 * The proxy's own sign-in, in-process: the challenge answerer and app policy of the proxy (STS
 * wherever the app offers it, KMS only for `kmsHosts`), a cookie jar per app (scheme, host and
 * port), in memory, for the life of the returned object. One module for every form of the
 * client, so the fetch and the undici dispatcher sign in the same way.
 */
export function createAppSessions(options: IamClientOptions, sendAuth: SendAuth): AppSessions {
  const aws = options.aws ?? {};
  // Proofs point where the SDK's own STS calls go (a VPC endpoint, a local STS), as in the CLI.
  const stsEndpoint =
    aws.stsEndpoint ?? (process.env.AWS_ENDPOINT_URL_STS || process.env.AWS_ENDPOINT_URL || undefined);
  const session = createAwsSession(createAwsLoginDependencies({ ...aws, stsEndpoint }));
  const policy = createAppPolicy({
    signIn: "every app",
    kms: (options.kmsHosts ?? []).map(parseHostPattern),
  });
  const answer = createChallengeAnswerer({
    session,
    method: options.method ?? "auto",
    mayReceiveKmsProof: policy.mayReceiveKmsProof,
  });
  const jar = new CookieJar();
  const signingIn = new Map<string, Promise<void>>();
  const originOf = (url: URL): string => (url.protocol === "https:" ? url.origin : url.host);
  const cookieFor = (url: URL, path = url.pathname): string =>
    jar
      .cookiesFor(originOf(url), path)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");

  async function signInOnce(url: URL, challenge: AppChallenge, setCookies: readonly string[]): Promise<void> {
    const origin = originOf(url);
    // The nonce cookie the challenge set: /auth accepts the STS proof only with it.
    jar.store(origin, url.pathname, [...setCookies]);
    const decision = await answer(challenge, {
      host: url.host,
      scheme: url.protocol === "https:" ? "https" : "http",
    });
    if (decision.action === "deny")
      throw new IamSignInError(decision.error.code, decision.error.message, { cause: decision.error });
    const authUrl = new URL(challenge.authPath, url);
    authUrl.search = new URLSearchParams({
      return_url: returnUrlFor(`${url.pathname}${url.search}`),
      token: decision.token,
    }).toString();
    const auth = await sendAuth(authUrl, cookieFor(url, challenge.authPath));
    if (auth.status < 300 || auth.status >= 400) {
      throw new IamSignInError(
        "SIGN_IN_REFUSED",
        `${url.host} refused the sign-in at ${challenge.authPath} (HTTP ${auth.status}): ${auth.reason}`,
      );
    }
    jar.store(origin, challenge.authPath, [...auth.setCookies]);
  }

  return {
    cookieFor: (url) => cookieFor(url),
    signIn(url, challenge, setCookies) {
      const origin = originOf(url);
      let pending = signingIn.get(origin);
      if (pending === undefined) {
        pending = signInOnce(url, challenge, setCookies).finally(() => signingIn.delete(origin));
        signingIn.set(origin, pending);
      }
      return pending;
    },
  };
}
