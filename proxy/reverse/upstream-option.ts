/**
 * Why `origin` cannot be an upstream, or undefined when it can: it must be an `http:` or
 * `https:` URL with a host and nothing after it (a path prefix would break every app that links
 * with absolute paths, so one local port serves one app's whole site).
 *
 * @example describeUpstreamOriginProblem(new URL("https://app.example.com/app")) // "it has a path"
 */
export function describeUpstreamOriginProblem(origin: URL): string | undefined {
  if (origin.protocol !== "https:" && origin.protocol !== "http:") return "it is not an http(s) URL";
  if (origin.hostname === "") return "it has no host";
  if (origin.username !== "" || origin.password !== "") return "it has user credentials";
  if (origin.pathname !== "/" || origin.search !== "" || origin.hash !== "") return "it has a path";
  return undefined;
}
