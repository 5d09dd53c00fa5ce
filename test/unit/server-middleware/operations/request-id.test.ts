import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import { requestIdOf } from "../../../../server-middleware/operations/request-id.js";

/** The id requestIdOf gives (twice, to check it is stable) for a request with these headers. */
async function idsFor(
  trustProxy: boolean | string,
  headers: Record<string, string>,
): Promise<[string, string]> {
  const app = express();
  app.set("trust proxy", trustProxy);
  app.get("/", (req, res) => {
    res.json([requestIdOf(req), requestIdOf(req)]);
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers });
    return (await response.json()) as [string, string];
  } finally {
    server.close();
  }
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("requestIdOf", () => {
  it("without trust proxy: ignores the client's X-Request-Id and makes a UUID, the same for the whole request", async () => {
    const [first, second] = await idsFor(false, { "X-Request-Id": "chosen-by-the-client" });
    assert.match(first, uuid);
    assert.equal(second, first);
  });

  it("when the request comes from a trusted proxy (loopback here): keeps its X-Request-Id", async () => {
    const [first] = await idsFor("loopback", { "X-Request-Id": "lb-1234.abc" });
    assert.equal(first, "lb-1234.abc");
  });

  it("when a trusted proxy sends an id that could break a log line: makes a UUID instead", async () => {
    const [first] = await idsFor("loopback", { "X-Request-Id": 'a" b' });
    assert.match(first, uuid);
    const [long] = await idsFor("loopback", { "X-Request-Id": "x".repeat(129) });
    assert.match(long, uuid);
  });
});
