import type { IncomingMessage, ServerResponse } from "node:http";

/** The body every counted request is answered with. */
export const countedBody = "ok\n";

/**
 * The minimal app's request handler, for the pure cost of whatever is in front of it: any path
 * answers "ok"; `/close` does too and then closes the connection (so a proxy in front cannot
 * keep it for the next request). `GET /__served` (asked directly, not through a proxy) answers
 * how many other requests it has served, so the bench can prove that load sent to a proxy
 * reached the app.
 *
 * @example createServer(createCountingHandler())
 */
export function createCountingHandler(): (req: IncomingMessage, res: ServerResponse) => void {
  let served = 0;
  const body = Buffer.from(countedBody);
  return (req, res) => {
    req.on("error", () => req.destroy());
    res.on("error", () => res.destroy());
    if (req.url === "/__served") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ served }));
      return;
    }
    served += 1;
    res.writeHead(200, {
      "content-type": "text/plain",
      "content-length": body.length,
      ...(req.url === "/close" ? { connection: "close" } : {}),
    });
    res.end(body);
  };
}
