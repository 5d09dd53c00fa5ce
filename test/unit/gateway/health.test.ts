import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { createHealth, type Health } from "../../../gateway/health.js";
import type { ReplayStore } from "../../../server-middleware/index.js";

const servers: Server[] = [];
after(() => servers.forEach((server) => server.close()));

/** A server answering with `health`, 404 for anything else; its origin. */
async function serve(health: Health): Promise<string> {
  const server = createServer((req, res) => {
    if (!health.answer(req, res)) res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string, method = "GET"): Promise<[number, string]> {
  const response = await fetch(url, { method });
  return [response.status, await response.text()];
}

const store = (check: () => Promise<void>): ReplayStore => ({ claim: () => Promise.resolve(true), check });

describe("createHealth", () => {
  it("/healthz: 200 ok; other paths are left to the caller", async () => {
    const origin = await serve(createHealth({}));
    assert.deepEqual(await get(`${origin}/healthz`), [200, "ok\n"]);
    assert.deepEqual(await get(`${origin}/healthz?verbose=1`), [200, "ok\n"]);
    assert.equal((await get(`${origin}/health`))[0], 404);
  });

  it("/readyz without a store check: 200 ready", async () => {
    const storeWithoutCheck: ReplayStore = { claim: () => Promise.resolve(true) };
    const origin = await serve(createHealth({ replayStore: storeWithoutCheck }));
    assert.deepEqual(await get(`${origin}/readyz`), [200, "ready\n"]);
  });

  it("/readyz when the store's check rejects: 503, without the store's error text", async () => {
    const origin = await serve(
      createHealth({
        replayStore: store(() => Promise.reject(new Error("redis://:hunter2@cache:6379 refused"))),
      }),
    );
    assert.deepEqual(await get(`${origin}/readyz`), [503, "not ready: replay store unavailable\n"]);
  });

  it("/readyz once draining: 503 shutting down, while /healthz stays 200", async () => {
    const health = createHealth({ replayStore: store(() => Promise.resolve()) });
    const origin = await serve(health);
    assert.deepEqual(await get(`${origin}/readyz`), [200, "ready\n"]);
    health.setDraining();
    assert.deepEqual(await get(`${origin}/readyz`), [503, "not ready: shutting down\n"]);
    assert.deepEqual(await get(`${origin}/healthz`), [200, "ok\n"]);
  });

  it("when the method is not GET or HEAD: 405 with Allow", async () => {
    const origin = await serve(createHealth({}));
    const response = await fetch(`${origin}/readyz`, { method: "POST" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
  });
});
