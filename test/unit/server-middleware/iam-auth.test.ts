import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import { iamAuth } from "../../../server-middleware/index.js";
import { ACCOUNT_ID, CONTEXT, credentialsPlaintext, FakeKms, FakeSts, KEY_ARN } from "./fake-aws.js";
import { send, SECRET_A, START_TIME } from "./test-app.js";

/** Runs `app` on 127.0.0.1:0 for the duration of `use`. */
async function withServer(app: express.Express, use: (url: string) => Promise<void>): Promise<void> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const baseOptions = {
  accountId: ACCOUNT_ID,
  kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, serverId: "app.test:3000" },
  sessionSecrets: [SECRET_A],
};

describe("iamAuth", () => {
  it("throws the options TypeError at construction, before any request", () => {
    assert.throws(() => iamAuth({ ...baseOptions, accountId: "1" }), {
      name: "TypeError",
      message: 'iamAuth: invalid options:\n  - accountId: must be a 12-digit AWS account id (got "1")',
    });
  });

  it("when the middleware itself fails, answers 500 internal error (no details) and logs it", async () => {
    const lines: string[] = [];
    let failures = 1;
    const app = express();
    app.use(
      iamAuth({
        ...baseOptions,
        // The first clock reading (by the session loader) throws; the log line reads it again.
        clock: () => {
          if (failures-- > 0) throw new RangeError("clock detail that must not reach the client");
          return START_TIME;
        },
        logger: (line) => lines.push(line),
      }),
    );
    await withServer(app, async (url) => {
      const result = await send(url, "/docs");
      assert.equal(result.status, 500);
      assert.equal(result.body, "internal error\n");
    });
    assert.deepEqual(lines, [
      `${START_TIME.toISOString()} request outcome=error status=500 path=/docs cause=RangeError`,
    ]);
  });

  it("leaves errors of the app's own routes to the app", async () => {
    const kms = new FakeKms();
    const app = express();
    app.use(iamAuth({ ...baseOptions, publicPaths: ["/boom"], kmsClient: kms.asClient() }));
    app.get("/boom", () => {
      throw new Error("app failure");
    });
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send(`app handler saw: ${error.message}`);
    });
    await withServer(app, async (url) => {
      const result = await send(url, "/boom");
      assert.equal(result.status, 500);
      assert.equal(result.body, "app handler saw: app failure");
    });
  });

  it("treats authPath as a literal path, not an Express pattern", async () => {
    const kms = new FakeKms();
    const sts = new FakeSts();
    const app = express();
    app.use(
      iamAuth({
        ...baseOptions,
        authPath: "/sign-in:iam",
        kmsClient: kms.asClient(),
        createStsClient: sts.factory,
        clock: () => START_TIME,
        logger: () => undefined,
      }),
    );
    await withServer(app, async (url) => {
      const token = kms.encrypt(credentialsPlaintext(new Date(START_TIME.getTime() + 900_000)));
      const literal = await send(url, `/sign-in:iam?token=${encodeURIComponent(token)}`);
      assert.equal(literal.status, 302);
      const patternMatch = await send(url, `/sign-in:other?token=${encodeURIComponent(token)}`);
      assert.equal(patternMatch.status, 401);
    });
  });
});
