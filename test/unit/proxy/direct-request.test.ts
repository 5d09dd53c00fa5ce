import assert from "node:assert/strict";
import http from "node:http";
import { runInNewContext } from "node:vm";
import { after, before, describe, it } from "node:test";
import { createProxyServer, type ProxyServer } from "../../../proxy/index.js";
import { createFakeAws, createMemoryLogger } from "./fakes.js";

/** An origin-form request to the proxy itself, as a browser fetching its PAC file sends it. */
function requestProxyItself(
  port: number,
  path: string,
  method = "GET",
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("requests addressed to the proxy itself", () => {
  let proxy: ProxyServer;
  let port = 0;
  before(async () => {
    proxy = createProxyServer({
      bind: "127.0.0.1:0",
      login: createFakeAws().deps,
      logger: createMemoryLogger(),
    });
    const [url = ""] = await proxy.listen();
    port = Number(new URL(url).port);
  });
  after(() => proxy.close());

  describe("GET /proxy.pac without --host", () => {
    it("sends every http:// URL through the proxy and everything else DIRECT", async () => {
      const response = await requestProxyItself(port, "/proxy.pac?v=2");
      assert.equal(response.status, 200);
      assert.equal(response.headers["content-type"], "application/x-ns-proxy-autoconfig");
      const findProxy = (url: string, host: string): unknown =>
        runInNewContext(`${response.body}\nFindProxyForURL(${JSON.stringify(url)}, ${JSON.stringify(host)})`);
      assert.equal(findProxy("http://app.internal:3000/", "app.internal"), `PROXY 127.0.0.1:${port}`);
      assert.equal(findProxy("https://app.internal/", "app.internal"), "DIRECT");
    });

    it("answers HEAD without a body and other methods with 405", async () => {
      const head = await requestProxyItself(port, "/proxy.pac", "HEAD");
      assert.equal(head.status, 200);
      assert.equal(head.body, "");
      assert.notEqual(head.headers["content-length"], "0");
      const post = await requestProxyItself(port, "/proxy.pac", "POST");
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, "GET, HEAD");
      assert.equal(post.body, "/proxy.pac answers GET and HEAD only\n");
    });
  });

  it("answers any other path with 400 NOT_A_PROXY_REQUEST, as before", async () => {
    const response = await requestProxyItself(port, "/");
    assert.equal(response.status, 400);
    assert.equal(
      response.body,
      `This is an HTTP proxy: configure it as your proxy (e.g. curl -x http://127.0.0.1:${port} …)\n`,
    );
  });
});
