import { readFetchChallenge } from "../proxy/signin/challenge-answerer.js";
import { createAppSessions, type IamClientOptions } from "./app-sessions.js";

/** createIamFetch's options. */
export interface IamFetchOptions extends IamClientOptions {
  /** The fetch that sends every request (e.g. one with a proxy dispatcher). Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
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
  const sessions = createAppSessions(options, async (authUrl, cookie) => {
    const auth = await send(authUrl, { redirect: "manual", headers: cookie === "" ? {} : { cookie } });
    return {
      status: auth.status,
      setCookies: auth.headers.getSetCookie(),
      reason: (await auth.text()).split("\n")[0] ?? "",
    };
  });

  const withCookies = (request: Request, url: URL): Request => {
    const cookies = sessions.cookieFor(url);
    if (cookies === "") return request;
    const headers = new Headers(request.headers);
    const own = headers.get("cookie");
    headers.set("cookie", own === null || own === "" ? cookies : `${own}; ${cookies}`);
    return new Request(request, { headers });
  };

  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    // Kept to send again after signing in (a body can be read only once).
    const replay = request.clone();
    const response = await send(withCookies(request, url));
    const challenge = readFetchChallenge(response);
    if (challenge === undefined) return response;
    const setCookies = response.headers.getSetCookie();
    await response.body?.cancel();
    await sessions.signIn(url, challenge, setCookies);
    return send(withCookies(replay, url));
  };
}
