import { createAwsLoginDependencies, type AwsLoginOptions } from "../proxy/aws/aws-login.js";
import { createAwsSession } from "../proxy/aws/aws-session.js";
import type { LoginMethodPreference } from "../proxy/aws/types.js";
import type { ProxyErrorCode } from "../proxy/common/errors.js";
import { CookieJar } from "../proxy/http/cookie-jar.js";
import { parseHostPattern } from "../proxy/http/host-pattern.js";
import { createChallengeAnswerer, readFetchChallenge } from "../proxy/signin/challenge-answerer.js";
import { createAppPolicy } from "../proxy/signin/policy.js";
import { returnUrlFor } from "../proxy/signin/self-login.js";

/** createIamFetch's options. */
export interface IamFetchOptions {
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
  /** The fetch that sends every request (e.g. one with a proxy dispatcher). Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
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

/**
 * A `fetch` that answers IAM challenges in-process, as the proxy would: on an app's `401 IAM`
 * it makes the proof with the caller's AWS credentials (the STS method wherever the app offers
 * it), hands it over at the app's auth path with the challenge's nonce cookie, keeps the session
 * cookie, and sends the request again — so a service running with an IAM role calls an internal
 * app as that role, with no proxy process. Sessions are kept per app (scheme, host and port),
 * in memory, for the life of the returned function. Throws IamSignInError when it cannot sign in.
 *
 * @example
 * const iamFetch = createIamFetch();
 * const items = await (await iamFetch("https://reports.internal.example.com/api/items")).json();
 */
export function createIamFetch(options: IamFetchOptions = {}): typeof fetch {
  const send = options.fetch ?? globalThis.fetch;
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
  // One sign-in per app at a time: concurrent requests that are challenged wait for it.
  const signingIn = new Map<string, Promise<void>>();

  const originOf = (url: URL): string => (url.protocol === "https:" ? url.origin : url.host);
  const withCookies = (request: Request, url: URL): Request => {
    const cookies = jar.cookiesFor(originOf(url), url.pathname).map((c) => `${c.name}=${c.value}`);
    if (cookies.length === 0) return request;
    const headers = new Headers(request.headers);
    const own = headers.get("cookie");
    headers.set("cookie", [own, ...cookies].filter((each) => each !== null && each !== "").join("; "));
    return new Request(request, { headers });
  };

  async function signIn(url: URL, response: Response): Promise<void> {
    const challenge = readFetchChallenge(response);
    if (challenge === undefined) return;
    const origin = originOf(url);
    // The nonce cookie the challenge set: /auth accepts the STS proof only with it.
    jar.store(origin, url.pathname, response.headers.getSetCookie());
    const decision = await answer(challenge, {
      host: url.host,
      scheme: url.protocol === "https:" ? "https" : "http",
    });
    if (decision.action === "deny")
      throw new IamSignInError(decision.error.code, decision.error.message, { cause: decision.error });
    const returnUrl = returnUrlFor(`${url.pathname}${url.search}`);
    const authUrl = new URL(challenge.authPath, url);
    authUrl.search = new URLSearchParams({ return_url: returnUrl, token: decision.token }).toString();
    const cookie = jar
      .cookiesFor(origin, challenge.authPath)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
    const auth = await send(authUrl, { redirect: "manual", headers: cookie === "" ? {} : { cookie } });
    const reason = (await auth.text()).split("\n")[0] ?? "";
    if (auth.status < 300 || auth.status >= 400) {
      throw new IamSignInError(
        "SIGN_IN_REFUSED",
        `${url.host} refused the sign-in at ${challenge.authPath} (HTTP ${auth.status}): ${reason}`,
      );
    }
    jar.store(origin, challenge.authPath, auth.headers.getSetCookie());
  }

  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    // Kept to send again after signing in (a body can be read only once).
    const replay = request.clone();
    const response = await send(withCookies(request, url));
    if (response.status !== 401 || !/^\s*IAM\b/i.test(response.headers.get("www-authenticate") ?? "")) {
      return response;
    }
    const origin = originOf(url);
    let pending = signingIn.get(origin);
    if (pending === undefined) {
      pending = signIn(url, response).finally(() => signingIn.delete(origin));
      signingIn.set(origin, pending);
    } else {
      await response.body?.cancel();
    }
    await pending;
    return send(withCookies(replay, url));
  };
}
