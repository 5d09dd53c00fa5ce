import assert from "node:assert/strict";
import net, { type AddressInfo, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "../../../gateway/index.js";
import { startPublicPathGateway } from "./public-path-gateway.js";

// Issue 15's fault matrix: an app that stalls inside its response head was answered
// "502 UPSTREAM_UNREACHABLE … could not be reached (ECONNRESET)" once upstreamTimeoutMs passed
// (http-proxy aborts the request itself), as if the app were down.
describe("the gateway when the app stalls its response head past upstreamTimeoutMs", () => {
  const sockets = new Set<Socket>();
  let app: net.Server;
  let gateway: Gateway;
  let gatewayUrl = "";
  let appOrigin = "";

  before(async () => {
    // Reads a request, sends the start of a head and then nothing, the connection left open.
    app = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nX-A: 1\r\n"));
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    ({ gateway, url: gatewayUrl } = await startPublicPathGateway(appOrigin, { upstreamTimeoutMs: 200 }));
  });
  after(async () => {
    await gateway.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => app.close(resolve));
  });

  it("answers 504 UPSTREAM_TIMEOUT saying how long it waited, and serves the next request", async () => {
    const response = await fetch(`${gatewayUrl}/public`);
    assert.equal(response.status, 504);
    assert.equal(response.headers.get("iam-auth-gateway-error"), "UPSTREAM_TIMEOUT");
    assert.equal(await response.text(), `The app at ${appOrigin} did not answer within 0.2 s.\n`);
    const health = await fetch(`${gatewayUrl}/healthz`);
    assert.equal(health.status, 200);
  });
});
