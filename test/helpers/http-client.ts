import { request, type Agent, type IncomingHttpHeaders } from "node:http";

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Send the request in absolute-form to this HTTP proxy instead of directly. */
  readonly proxy?: string;
  /** The connections to use, e.g. a keep-alive Agent; default a new connection for this request alone. */
  readonly agent?: Agent;
}

/** One HTTP request with Node's own client; never follows redirects. */
export function httpRequest(target: string, options: RequestOptions = {}): Promise<HttpResult> {
  const url = new URL(target);
  const via = options.proxy === undefined ? url : new URL(options.proxy);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: via.hostname.replace(/^\[|\]$/g, ""),
        port: via.port,
        method: options.method ?? "GET",
        path: options.proxy === undefined ? `${url.pathname}${url.search}` : url.href,
        headers: { host: url.host, ...options.headers },
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A minimal cookie jar: remembers name=value pairs from Set-Cookie, ignoring attributes. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(headers: IncomingHttpHeaders): void {
    for (const line of headers["set-cookie"] ?? []) {
      const pair = line.split(";", 1)[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  header(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ") };
  }

  names(): string[] {
    return [...this.cookies.keys()].sort();
  }
}

/** Resolves a Location header (the proxy sends the original's `//host/auth?…` form) against a URL. */
export function resolveLocation(location: string | undefined, base: string): string {
  if (location === undefined) throw new Error("response has no Location header");
  return new URL(location, base).href;
}
