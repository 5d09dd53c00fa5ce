import assert from "node:assert/strict";
import net, { type AddressInfo, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import type { Gateway } from "../../../gateway/index.js";
import { startPublicPathGateway } from "./public-path-gateway.js";

// The soak (issue 15) saw 2 of 200,000 requests answered 502 "(ECONNRESET)": the gateway sent a
// request on a kept-alive connection just as the app closed it for being idle. This app makes that
// race certain: it answers the first request on each connection and, keeping it open, resets the
// connection when a second request arrives on it.
describe("the gateway when the app resets a kept-alive connection as a request goes out on it", () => {
  const sockets = new Set<Socket>();
  let app: net.Server;
  let gateway: Gateway;
  let gatewayUrl = "";
  const received: string[] = [];

  before(async () => {
    app = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      let requests = 0;
      socket.on("data", (chunk: Buffer) => {
        received.push(chunk.toString("latin1").split(" ", 1)[0] ?? "");
        requests += 1;
        if (requests > 1) {
          socket.resetAndDestroy();
          return;
        }
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
      });
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    ({ gateway, url: gatewayUrl } = await startPublicPathGateway(
      `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
    ));
  });
  after(async () => {
    await gateway.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => app.close(resolve));
  });

  it("sends a GET again on a new connection: the client gets the app's answer", async () => {
    received.length = 0;
    for (let i = 0; i < 3; i++) {
      const response = await request(`${gatewayUrl}/public`);
      assert.equal(response.statusCode, 200);
      assert.equal(await response.body.text(), "ok");
    }
    // Each request after the first went out on the kept connection, was reset, and went again.
    assert.deepEqual(received, ["GET", "GET", "GET", "GET", "GET"]);
  });

  it("does not send a POST with a body twice: 502 UPSTREAM_UNREACHABLE", async () => {
    assert.equal((await request(`${gatewayUrl}/public`)).statusCode, 200);
    received.length = 0;
    const response = await request(`${gatewayUrl}/public`, { method: "POST", body: "once" });
    assert.equal(response.statusCode, 502);
    assert.equal(response.headers["iam-auth-gateway-error"], "UPSTREAM_UNREACHABLE");
    await response.body.text();
    assert.deepEqual(received, ["POST"]);
  });
});
