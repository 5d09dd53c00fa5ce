import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";
import { formatStsProof } from "../../../../protocol/index.js";
import { presignCallerIdentity, ProxyError } from "../../../../proxy/index.js";
import {
  createSignInLog,
  describeAppRefusal,
  redactSecrets,
  type SignInEvent,
  type SignInRecorder,
} from "../../../../proxy/signin/login-log.js";
import { createMemoryLogger, DEMO_IDENTITY, NONCE } from "../fakes.js";

/** A recorder that keeps what it is given. */
function createListRecorder(): SignInRecorder & { readonly events: SignInEvent[] } {
  const events: SignInEvent[] = [];
  return { events, recordSignIn: (event) => void events.push(event) };
}

const awsDenial =
  "User: arn:aws:sts::111122223333:assumed-role/Developer/e2e-role-session is not authorized to perform: " +
  "kms:Encrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("createSignInLog", () => {
  it("writes one `login` line per outcome, in the format the log audit reads", () => {
    const logger = createMemoryLogger();
    const signInLog = createSignInLog({ logger });
    signInLog.login({ host: "app:3000", identity: DEMO_IDENTITY, method: "sts", outcome: "signed-in" });
    signInLog.login({ host: "app:3000", identity: DEMO_IDENTITY, method: "kms", outcome: "redirected" });
    signInLog.login({
      host: "app:3000",
      identity: undefined,
      method: "sts",
      outcome: "denied",
      status: 403,
      reason: "You are not allowed to use this app",
    });
    signInLog.denied(
      { host: "app:3000", identity: DEMO_IDENTITY, method: "kms" },
      new ProxyError(
        "REALM_MISMATCH",
        "The IAM identity does not match the server realm (expected: 444455556666)",
      ),
    );
    signInLog.denied(
      { host: "app:3000", identity: undefined, method: undefined },
      new ProxyError("AWS_REQUEST_FAILED", awsDenial),
    );
    assert.deepEqual(logger.lines, [
      `login host=app:3000 identity=${DEMO_IDENTITY.arn} method=sts outcome=signed-in`,
      `login host=app:3000 identity=${DEMO_IDENTITY.arn} method=kms outcome=redirected`,
      'login host=app:3000 identity=unknown method=sts outcome=denied status=403 reason="the app refused the sign-in (HTTP 403): You are not allowed to use this app"',
      `login host=app:3000 identity=${DEMO_IDENTITY.arn} method=kms outcome=denied code=REALM_MISMATCH ` +
        'reason="The IAM identity does not match the server realm (expected: 444455556666)"',
      `login host=app:3000 identity=unknown outcome=denied code=AWS_REQUEST_FAILED reason=${JSON.stringify(awsDenial)}`,
    ]);
  });

  it("hands the recorder the same event the line says", () => {
    const recorder = createListRecorder();
    const signInLog = createSignInLog({ logger: createMemoryLogger(), recorder });
    signInLog.login({ host: "app:3000", identity: DEMO_IDENTITY, method: "sts", outcome: "signed-in" });
    signInLog.denied(
      { host: "b:1", identity: undefined, method: undefined },
      new ProxyError("SERVER_ID_MISMATCH", "Refusing to sign in"),
    );
    assert.deepEqual(recorder.events, [
      {
        host: "app:3000",
        identity: DEMO_IDENTITY.arn,
        method: "sts",
        outcome: "signed-in",
        code: undefined,
        status: undefined,
        reason: undefined,
      },
      {
        host: "b:1",
        identity: undefined,
        method: undefined,
        outcome: "denied",
        code: "SERVER_ID_MISMATCH",
        status: undefined,
        reason: "Refusing to sign in",
      },
    ]);
  });

  describe("when a token, key or session token is passed by mistake in the wrong field", () => {
    let stsToken = "";
    const kmsToken = randomBytes(180).toString("base64");
    // Shaped as AWS issues them: a 40-character secret key, a long base64 session token.
    const secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const sessionToken = randomBytes(300).toString("base64");
    before(async () => {
      // A real STS-method token: a presigned sts:GetCallerIdentity, signature and session token included.
      const presignedUrl = await presignCallerIdentity({
        credentials: { accessKeyId: "ASIATESTROLESESSION1", secretAccessKey, sessionToken },
        endpoint: "https://sts.us-east-1.amazonaws.com",
        region: "us-east-1",
        serverId: "app:3000",
        nonce: NONCE,
        signingDate: new Date("2030-01-01T00:00:00Z"),
      });
      stsToken = formatStsProof({ nonce: NONCE, presignedUrl });
    });

    it("logs and records none of it, whichever field it is in", () => {
      const logger = createMemoryLogger();
      const recorder = createListRecorder();
      const signInLog = createSignInLog({ logger, recorder });
      signInLog.login({
        host: "app:3000",
        identity: undefined,
        method: "sts",
        outcome: "denied",
        reason: stsToken,
      });
      signInLog.login({
        host: "app:3000",
        identity: undefined,
        method: "kms",
        outcome: "denied",
        reason: `/auth said: bad token=${kmsToken}`,
      });
      signInLog.login({ host: kmsToken, identity: undefined, method: "kms", outcome: "signed-in" });
      signInLog.login({
        host: "app:3000",
        identity: { ...DEMO_IDENTITY, arn: `arn:aws:iam::111122223333:user/${kmsToken}` },
        method: "sts",
        outcome: "signed-in",
      });
      // A field the entry does not have, as a spread of the challenge decision would add it.
      signInLog.login({
        ...{ host: "app:3000", identity: DEMO_IDENTITY, method: "sts", outcome: "signed-in" },
        token: stsToken,
      } as Parameters<typeof signInLog.login>[0]);
      signInLog.denied(
        { host: "app:3000", identity: undefined, method: "sts" },
        new ProxyError("AWS_REQUEST_FAILED", `The security token ${sessionToken} is invalid`),
      );
      signInLog.login({
        host: "app:3000",
        identity: undefined,
        method: "sts",
        outcome: "denied",
        reason: secretAccessKey,
      });
      const written = [logger.lines.join("\n"), JSON.stringify(recorder.events)].join("\n");
      for (const secret of [
        stsToken,
        stsToken.split(".")[2] ?? "",
        kmsToken,
        secretAccessKey,
        sessionToken,
      ]) {
        assert.ok(secret.length >= 40 && !written.includes(secret), `${secret.slice(0, 12)}… was written`);
      }
      assert.deepEqual(
        recorder.events.map((event) => [event.host, event.identity, event.reason]),
        [
          ["app:3000", undefined, `sts1.${NONCE}.[secret]`],
          ["app:3000", undefined, "/auth said: bad token=[secret]"],
          ["[secret]", undefined, undefined],
          ["app:3000", undefined, undefined],
          ["app:3000", DEMO_IDENTITY.arn, undefined],
          ["app:3000", undefined, "The security token [secret] is invalid"],
          ["app:3000", undefined, "[secret]"],
        ],
      );
      assert.deepEqual(Object.keys(recorder.events[4] ?? {}).sort(), [
        "code",
        "host",
        "identity",
        "method",
        "outcome",
        "reason",
        "status",
      ]);
    });
  });
});

describe("redactSecrets", () => {
  it("leaves ARNs, host names, key ids and sentences as they are", () => {
    for (const text of [
      awsDenial,
      "The identity arn:aws:iam::111122223333:user/demo is not allowed to use this app",
      "app.internal.example.com:8443",
      "Could not load credentials from any providers",
      "my-very-long-internal-application-name-for-testing.example.com",
      "AKIALOCALDEMO0000001",
    ]) {
      assert.equal(redactSecrets(text), text);
    }
  });

  it("replaces token and presigned-URL parameters, and long base64 or base64url runs with digits", () => {
    assert.equal(redactSecrets("token=abc&x=1"), "token=[secret]&x=1");
    assert.equal(
      redactSecrets(
        "?X-Amz-Credential=ASIA/2030/us-east-1&X-Amz-Signature=0123abcd&X-Amz-Security-Token=Zm9v",
      ),
      "?X-Amz-Credential=[secret]&X-Amz-Signature=[secret]&X-Amz-Security-Token=[secret]",
    );
    assert.equal(redactSecrets("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY9 end"), "key [secret] end");
    assert.equal(redactSecrets(`a ${"A1_b-".repeat(10)} b`), "a [secret] b");
  });
});

describe("describeAppRefusal", () => {
  const cases: readonly (readonly [number, string | undefined, string])[] = [
    // An Express app without the middleware: its 404 page is titled "Error", its text "Cannot GET /auth".
    [404, "Error", "the app has no sign-in endpoint at /auth (HTTP 404)"],
    [404, "Cannot GET /auth?return_url=%2F", "the app has no sign-in endpoint at /auth (HTTP 404)"],
    [404, "Not Found", "the app has no sign-in endpoint at /auth (HTTP 404)"],
    [404, "404 Not Found", "the app has no sign-in endpoint at /auth (HTTP 404)"],
    [
      404,
      "The app refused the sign-in at /auth (HTTP 404)",
      "the app has no sign-in endpoint at /auth (HTTP 404)",
    ],
    [405, "Method Not Allowed", "the app's /auth does not accept the sign-in's GET (HTTP 405)"],
    [
      403,
      "You are not allowed to use this app",
      "the app refused the sign-in (HTTP 403): You are not allowed to use this app",
    ],
    [403, "Forbidden", "the app refused the sign-in (HTTP 403)"],
    [400, "", "the app found the sign-in request malformed (HTTP 400)"],
    [429, undefined, "the app is limiting sign-ins, try again in a minute (HTTP 429)"],
    [500, "Error", "the app failed during the sign-in, tell its owners (HTTP 500)"],
    [
      503,
      "STS is unavailable",
      "the app or a gateway in front of it is unavailable, try again later (HTTP 503): STS is unavailable",
    ],
  ];
  for (const [status, words, expected] of cases) {
    it(`${status} ${JSON.stringify(words)}: ${expected}`, () => {
      assert.equal(describeAppRefusal(status, words), expected);
    });
  }

  it("names the app's own sign-in path when it has another", () => {
    assert.equal(
      describeAppRefusal(404, "Error", "/login/iam"),
      "the app has no sign-in endpoint at /login/iam (HTTP 404)",
    );
  });

  it("is the reason the sign-in log records and writes for the app's refusal at /auth, never for the proxy's", () => {
    const logger = createMemoryLogger();
    const recorder = createListRecorder();
    const signInLog = createSignInLog({ logger, recorder });
    signInLog.login({
      host: "app:3000",
      identity: undefined,
      method: "sts",
      outcome: "denied",
      status: 404,
      reason: "Error",
    });
    signInLog.denied(
      { host: "app:3000", identity: undefined, method: "sts" },
      new ProxyError("UPSTREAM_UNREACHABLE", "app:3000 did not answer the sign-in at /auth within 30 s"),
    );
    assert.deepEqual(
      recorder.events.map((event) => event.reason),
      [
        "the app has no sign-in endpoint at /auth (HTTP 404)",
        "app:3000 did not answer the sign-in at /auth within 30 s",
      ],
    );
    assert.equal(
      logger.lines[0],
      'login host=app:3000 identity=unknown method=sts outcome=denied status=404 reason="the app has no sign-in endpoint at /auth (HTTP 404)"',
    );
  });
});
