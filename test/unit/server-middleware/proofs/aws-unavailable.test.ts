import assert from "node:assert/strict";
import { createServer } from "node:net";
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
