import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { afterEach, describe, it } from "node:test";
import { KMSClient } from "@aws-sdk/client-kms";
import { STSClient } from "@aws-sdk/client-sts";
import { credentialsPlaintext, FakeKms } from "../fake-aws.js";
import { authPath, send, startTestApp, START_TIME, type TestApp } from "../test-app.js";

const inFifteenMinutes = new Date(START_TIME.getTime() + 900_000);
const isoTime = START_TIME.toISOString();

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A server on 127.0.0.1 that accepts connections and never answers (a stalled AWS endpoint). */
async function startSilentServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("GET /auth when AWS cannot be reached", () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const credentials = { accessKeyId: "AKIASERVEREXAMPLE001", secretAccessKey: "server-secret-EXAMPLE" };

  it("when KMS is unreachable: 502 KMS_UNAVAILABLE", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const kmsClient = new KMSClient({ region: "us-east-1", endpoint, maxAttempts: 1, credentials });
    app = await startTestApp({ options: { kmsClient } });
    const result = await send(app.url, authPath(new FakeKms().encrypt("x")));
    kmsClient.destroy();
    assert.equal(result.status, 502);
    assert.equal(result.body, "AWS KMS could not be reached or failed; try again later\n");
    assert.deepEqual(result.setCookies, []);
    assert.match(
      app.lines[0] ?? "",
      / audit action=sign-in outcome=failed reason=KMS_UNAVAILABLE status=502 .* cause=ECONNREFUSED$/,
    );
  });

  it("when STS is unreachable: 502 STS_UNAVAILABLE", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const kms = new FakeKms();
    app = await startTestApp({
      kms,
      options: {
        createStsClient: (c) =>
          new STSClient({ region: "us-east-1", endpoint, maxAttempts: 1, credentials: c }),
      },
    });
    const result = await send(app.url, authPath(kms.encrypt(credentialsPlaintext(inFifteenMinutes))));
    assert.equal(result.status, 502);
    assert.equal(result.body, "AWS STS could not be reached or failed; try again later\n");
    assert.deepEqual(result.setCookies, []);
  });

  // Issue 15's fault matrix: the SDK's clients wait for ever by default, so a stalled KMS left
  // /auth (and the person's proxy, until its own 30 s limit) hanging.
  it("when KMS accepts the connection and never answers: 502 KMS_UNAVAILABLE after 5 s, not a hang", async () => {
    const silent = await startSilentServer();
    const kmsClient = new KMSClient({
      region: "us-east-1",
      endpoint: silent.endpoint,
      maxAttempts: 1,
      credentials,
    });
    try {
      app = await startTestApp({ options: { kmsClient } });
      const result = await send(app.url, authPath(new FakeKms().encrypt("x")));
      assert.deepEqual(
        [result.status, result.body, result.setCookies],
        [502, "AWS KMS did not answer within 5000 ms\n", []],
      );
      assert.match(
        app.lines[0] ?? "",
        / audit action=sign-in outcome=failed reason=KMS_UNAVAILABLE status=502 /,
      );
    } finally {
      kmsClient.destroy();
      await silent.close();
    }
  });

  it("when STS accepts the connection and never answers: 502 STS_UNAVAILABLE after 5 s, not a hang", async () => {
    const silent = await startSilentServer();
    const kms = new FakeKms();
    try {
      app = await startTestApp({
        kms,
        options: {
          createStsClient: (c) =>
            new STSClient({ region: "us-east-1", endpoint: silent.endpoint, maxAttempts: 1, credentials: c }),
        },
      });
      const result = await send(app.url, authPath(kms.encrypt(credentialsPlaintext(inFifteenMinutes))));
      assert.deepEqual(
        [result.status, result.body, result.setCookies],
        [502, "AWS STS did not answer within 5000 ms\n", []],
      );
    } finally {
      await silent.close();
    }
  });

  it("when something unexpected throws: 500 internal error, without details", async () => {
    const kms = new FakeKms();
    app = await startTestApp({
      kms,
      options: {
        createStsClient: () => {
          throw new RangeError("detail that must not reach the client");
        },
      },
    });
    const result = await send(app.url, authPath(kms.encrypt(credentialsPlaintext(inFifteenMinutes))));
    assert.equal(result.status, 500);
    assert.equal(result.body, "internal error\n");
    assert.deepEqual(result.setCookies, []);
    assert.deepEqual(app.lines, [
      `${isoTime} audit action=sign-in outcome=failed reason=INTERNAL_ERROR status=500 method=kms via=redirect remote=127.0.0.1 requestId=ID durationMs=N cause=RangeError`,
    ]);
  });
});
