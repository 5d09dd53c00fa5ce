import { CookieJar, type CookieJarOptions, type StoredCookie } from "../cookie-jar.js";
import { removeSecureAttribute } from "./set-cookie-rewrite.js";

export interface UpstreamCookieJarOptions extends CookieJarOptions {
  /** Origins (`host[:port]`, as the jar keys them) the proxy reaches over TLS. */
  readonly tlsOrigins: ReadonlySet<string>;
}

/**
 * The proxy's cookie jar for reverse mode. CookieJar drops `Secure` cookies because forward mode
 * reaches apps over plain http; reverse mode reaches https upstreams over TLS, where an app's
 * session cookie is nearly always `Secure`, and without it every sign-in would end in a login
 * loop. So for those origins the attribute is removed before storing: the jar sends its cookies
 * to that one origin only, over that TLS connection, which is what `Secure` asks for.
 *
 * @example new UpstreamCookieJar({ tlsOrigins: new Set(["app.example.com"]) })
 */
export class UpstreamCookieJar extends CookieJar {
  private readonly tlsOrigins: ReadonlySet<string>;

  constructor(options: UpstreamCookieJarOptions) {
    super(options);
    this.tlsOrigins = options.tlsOrigins;
  }

  override store(
    origin: string,
    requestPath: string,
    setCookieLines: readonly string[],
    options: { readonly onlyKnownNames?: boolean } = {},
  ): StoredCookie[] {
    const lines = this.tlsOrigins.has(origin) ? setCookieLines.map(removeSecureAttribute) : setCookieLines;
    return super.store(origin, requestPath, lines, options);
  }
}
