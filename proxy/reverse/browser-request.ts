import type { IncomingHttpHeaders } from "node:http";
import type { OriginMapping } from "./location-rewrite.js";

/**
 * Rewrites `Origin` and `Referer` (in place) that name a local origin of this proxy to the
 * upstream it stands for, so the app sees its own origin where the browser saw localhost: apps
 * that check them against CSRF (Django, Rails, Spring) keep working. Other values are left alone.
 *
 * @example rewriteRequestOrigins(headers, [{ upstream: "https://app.example.com", local: "http://localhost:8080" }])
 * // Origin: http://localhost:8080 → Origin: https://app.example.com
 */
export function rewriteRequestOrigins(
  headers: IncomingHttpHeaders,
  mappings: readonly OriginMapping[],
): void {
  const origin = headers.origin;
  if (origin !== undefined) {
    const mapping = mappings.find((each) => each.local === origin.toLowerCase());
    if (mapping !== undefined) headers.origin = mapping.upstream;
  }
  const referer = headers.referer;
  if (referer !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(referer);
    } catch {
      url = undefined;
    }
    const mapping = url === undefined ? undefined : mappings.find((each) => each.local === url.origin);
    if (url !== undefined && mapping !== undefined) {
      headers.referer = `${mapping.upstream}${url.pathname}${url.search}`;
    }
  }
}

/**
 * The local origin of each upstream as seen from a request that arrived with `host`: the
 * current upstream at exactly that Host, every other one at the same host name on its own port.
 *
 * @example localOriginMappings("localhost:8081", "https://a.example.com", new Map([["https://a.example.com", 8081], ["https://b.example.com", 8082]]))
 * // [{ upstream: "https://a.example.com", local: "http://localhost:8081" }, { upstream: "https://b.example.com", local: "http://localhost:8082" }]
 */
export function localOriginMappings(
  host: string,
  current: string,
  localPorts: ReadonlyMap<string, number>,
): OriginMapping[] {
  let base: URL;
  try {
    base = new URL(`http://${host}/`);
  } catch {
    return [];
  }
  const mappings: OriginMapping[] = [{ upstream: current, local: base.origin }];
  for (const [upstream, port] of localPorts) {
    if (upstream === current) continue;
    const local = new URL(base.href);
    local.port = String(port);
    mappings.push({ upstream, local: local.origin });
  }
  return mappings;
}
