import assert from "node:assert/strict";
import { Agent, createServer, get, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { watchConnections } from "../../../gateway/graceful-close.js";

/** A server whose requests wait for `release` (/never: forever); `arrival` resolves once a request is in. */
async function startSlowServer() {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived: () => void = () => undefined;
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  const server = createServer((req, res) => {
    arrived();
    if (req.url !== "/never") void released.then(() => res.end("done"));
  });
  const closer = watchConnections(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, closer, port, release, arrival };
}

function request(port: string | number, path: string, agent: Agent): Promise<IncomingMessage> {
  return new Promise((resolve, reject) =>
    get({ port, host: "127.0.0.1", path, agent }, resolve).on("error", reject),
  );
}

describe("watchConnections(server).close(timeoutMs)", () => {
  it("lets the request in flight finish on a kept-alive connection, then resolves true without waiting for the keep-alive timeout", async () => {
    const { closer, port, release, arrival } = await startSlowServer();
    const agent = new Agent({ keepAlive: true });
    const answer = request(port, "/slow", agent);
    await arrival;
    const started = Date.now();
    const closed = closer.close(10_000);
    release();
    const response = await answer;
    let body = "";
    for await (const chunk of response) body += String(chunk);
    assert.equal(body, "done");
    assert.equal(response.headers.connection, "close");
    assert.equal(await closed, true);
    // Node's own close() would wait for the idle kept-alive connection (5 s).
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
    agent.destroy();
  });

  it("when a request never finishes: cuts it at the timeout and resolves false", async () => {
    const { closer, port, arrival } = await startSlowServer();
    const agent = new Agent();
    const answer = request(port, "/never", agent);
    await arrival;
    const closed = await closer.close(200);
    assert.equal(closed, false);
    await assert.rejects(answer, { code: "ECONNRESET" });
  });
});
