import { findNginx, startNginx, type RunningNginx } from "../test/helpers/nginx.js";
import type { ProcessGroup } from "./processes.js";

/*
 * Debian's nginx as a reverse proxy: the reference for what a reverse proxy written in C costs
 * per request, configured as one is in production (keep-alive connections to the app).
 */

/** What the nginx rows say when nginx is not there. */
export const NGINX_NOT_INSTALLED = "not measured: nginx not installed (apt-get install nginx)";

/**
 * Starts nginx (one worker) passing every request to `target` over kept-alive upstream
 * connections, logging to test-logs/bench/<benchmark>/nginx.log; undefined when nginx is not
 * installed. The runner stops it with the benchmark's other processes.
 *
 * @example const nginx = await startNginxReverseProxy(processes, "gateway", new URL(app.url))
 */
export async function startNginxReverseProxy(
  group: ProcessGroup,
  benchmark: string,
  target: URL,
): Promise<RunningNginx | undefined> {
  if (findNginx() === undefined) return undefined;
  // Without `keepalive` and HTTP/1.1 with an empty Connection header, nginx would open a new
  // connection to the app for every request: not how anyone runs it, and not a fair reference.
  const httpBlock = `  upstream app {
    server ${target.host};
    keepalive 32;
  }`;
  const serverBlock = `    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }`;
  return group.track(await startNginx(serverBlock, `bench/${benchmark}/nginx.log`, { httpBlock }));
}
