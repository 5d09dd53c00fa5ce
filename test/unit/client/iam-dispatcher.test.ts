import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { after, before, beforeEach, describe, it } from "node:test";
import { createIamDispatcher } from "../../../client/index.js";

/*
 * The parts of createIamDispatcher that need no AWS: what it passes through untouched. Signing in
 * (with the local AWS and the example server) is in test/e2e/client-fetch.test.ts.
 */

describe("createIamDispatcher: what it passes through", () => {
  let server: Server;
  let origin: string;
  const seen: { method: string; headers: IncomingHttpHeaders; body: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", headers: req.headers, body });
        if (req.url === "/bearer") {
          res.writeHead(401, { "www-authenticate": 'Bearer realm="api"' }).end("bearer needed\n");
        } else if (req.url === "/iam") {
          res
            .writeHead(401, {
              "www-authenticate":
                'IAM realm="111122223333", methods="sts", server-id="x", nonce="AAAAAAAAAAAAAAAAAAAA"',
            })
            .end("challenge\n");
        } else {
          res.writeHead(200, { "content-type": "text/plain" }).end(`ok ${body}`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
  });

  it("an ordinary answer reaches the caller as sent, with the request's own Cookie header kept", async () => {
    const dispatcher = createIamDispatcher();
    const response = await dispatcher.request({
      origin,
      path: "/",
      method: "POST",
      headers: { cookie: "own=1", "content-type": "text/plain" },
      body: "hello",
    });
    assert.equal(response.statusCode, 200);
    assert.equal(await response.body.text(), "ok hello");
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.headers.cookie, "own=1");
  });

  it("a 401 of another scheme reaches the caller untouched, sent once", async () => {
    const response = await createIamDispatcher().request({ origin, path: "/bearer", method: "GET" });
    assert.equal(response.statusCode, 401);
    assert.equal(await response.body.text(), "bearer needed\n");
    assert.equal(seen.length, 1);
  });

  it("a request whose body is a stream is not sent again: the IAM challenge reaches the caller", async () => {
    const response = await createIamDispatcher().request({
      origin,
      path: "/iam",
      method: "POST",
      body: Readable.from(["streamed body"]),
    });
    assert.equal(response.statusCode, 401);
    assert.equal(await response.body.text(), "challenge\n");
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.body, "streamed body");
  });
});
