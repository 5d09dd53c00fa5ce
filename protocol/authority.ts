const defaultPorts: Readonly<Record<string, string>> = { "http:": "80", "https:": "443" };

/**
 * Normalises a URL authority (`host[:port]`, as in a Host header or a server-id) for
 * comparison: lower-cased, IPv6 in brackets, and the scheme's default port dropped.
 * Returns undefined when the value is not a plain authority (userinfo, path, bad port).
 *
 * @example normalizeAuthority("App.Example.com:443", "https:") // "app.example.com"
 */
export function normalizeAuthority(authority: string, scheme: "http:" | "https:"): string | undefined {
  if (authority === "" || /[/?#@\\\s]/.test(authority)) return undefined;
  let url: URL;
  try {
    url = new URL(`${scheme}//${authority}`);
  } catch {
    return undefined;
  }
  const port = url.port === "" || url.port === defaultPorts[scheme] ? "" : `:${url.port}`;
  return `${url.hostname}${port}`;
}
