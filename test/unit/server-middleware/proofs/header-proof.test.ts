import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { iamAuth } from "../../../../server-middleware/index.js";
import { ACCOUNT_ID, ALICE_ARN, credentialsPlaintext, KEY_ARN, CONTEXT } from "../fake-aws.js";
import {
  ALICE_USER_ID,
  errorResponse,
  identityResponse,
  presignedUrl,
  stsToken,
} from "../fake-sts-endpoint.js";
import {
  authPath,
  cookieHeader,
  send,
  SECRET_A,
  SERVER_ID,
  startTestApp,
  START_TIME,
  type TestApp,
} from "../test-app.js";

const isoTime = START_TIME.toISOString();

/** A nonce from GET /auth/nonce, as a script gets one: no challenge, no cookie. */
async function fetchNonce(app: TestApp, path = "/auth/nonce"): Promise<string> {
  const result = await send(app.url, path);
  assert.equal(result.status, 200, result.body);
  return (JSON.parse(result.body) as { nonce: string }).nonce;
}

async function stsHeaderProof(app: TestApp): Promise<string> {
  return `IAM ${stsToken(await fetchNonce(app), presignedUrl(app.clock.now))}`;
}

describe("a proof in the Authorization header (STS method)", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ methods: ["sts"] });
  });
  after(() => app.close());
  afterEach(() => {
    app.clock.now = START_TIME;
    app.stsEndpoint.requests.length = 0;
    app.stsEndpoint.respond = () =>
      identityResponse({ Arn: ALICE_ARN, Account: ACCOUNT_ID, UserId: ALICE_USER_ID });
    app.lines.length = 0;
  });

  it("serves that request as the proven identity, without a cookie and without starting a session", async () => {
    const result = await send(app.url, "/docs", { headers: { authorization: await stsHeaderProof(app) } });
    assert.equal(result.status, 200);
    assert.equal(result.body, ALICE_ARN);
    assert.deepEqual(result.setCookies, []);
    assert.equal(app.stsEndpoint.requests.length, 1);
    assert.deepEqual(app.lines, [
      `${isoTime} audit action=sign-in outcome=success method=sts via=header identity=${ALICE_ARN} remote=127.0.0.1 requestId=ID durationMs=N`,
    ]);
  });

  it("takes any method and removes the spent proof before the app sees the request", async () => {
    const result = await send(app.url, "/echo", {
      method: "POST",
      headers: { authorization: await stsHeaderProof(app) },
    });
    assert.equal(result.status, 200);
    assert.deepEqual(JSON.parse(result.body), { method: "POST", arn: ALICE_ARN, authorization: null });
  });

  it("refuses the same header a second time: 403 TOKEN_REPLAYED", async () => {
    const header = await stsHeaderProof(app);
    assert.equal((await send(app.url, "/docs", { headers: { authorization: header } })).status, 200);
    const replay = await send(app.url, "/docs", { headers: { authorization: header } });
    assert.equal(replay.status, 403);
    assert.equal(replay.body, "The STS proof has already been used\n");
    assert.match(
      app.lines.at(-1) ?? "",
      / outcome=refused reason=TOKEN_REPLAYED status=403 method=sts via=header /,
    );
  });

  it("accepts a nonce from a challenge as well (a 401 the script got anyway)", async () => {
    const challenge = await send(app.url, "/docs", { headers: { accept: "text/plain" } });
    const nonce = /nonce="([^"]+)"/.exec(String(challenge.headers["www-authenticate"]))?.[1] ?? "";
    const result = await send(app.url, "/docs", {
      headers: { authorization: `IAM ${stsToken(nonce, presignedUrl(app.clock.now))}` },
    });
    assert.equal(result.status, 200);
  });

  it("reads the scheme case-insensitively and skips extra spaces before the token", async () => {
    const token = stsToken(await fetchNonce(app), presignedUrl(app.clock.now));
    const result = await send(app.url, "/docs", { headers: { authorization: `iam   ${token}` } });
    assert.equal(result.status, 200);
  });

  it("leaves another scheme alone: Authorization: Bearer … gets the challenge, no AWS call", async () => {
    const result = await send(app.url, "/echo", {
      headers: { authorization: "Bearer abc.def", accept: "text/plain" },
    });
    assert.equal(result.status, 401);
    assert.match(String(result.headers["www-authenticate"]), /^IAM realm="111122223333"/);
    assert.equal(app.stsEndpoint.requests.length, 0);
    assert.deepEqual(app.lines, []);
  });

  it("when STS refuses the proof: 403 with STS's reason, nothing served", async () => {
    app.stsEndpoint.respond = () => errorResponse(403, "InvalidClientTokenId");
    const result = await send(app.url, "/echo", { headers: { authorization: await stsHeaderProof(app) } });
    assert.equal(result.status, 403);
    assert.equal(result.body, "AWS STS rejected the proof (InvalidClientTokenId)\n");
  });

  it("when the identity is not allowed: 403 NOT_ALLOWED", async () => {
    app.stsEndpoint.respond = () =>
      identityResponse({
        Arn: "arn:aws:iam::999988887777:user/mallory",
        Account: "999988887777",
        UserId: "AIDAMALLORY",
      });
    const result = await send(app.url, "/echo", { headers: { authorization: await stsHeaderProof(app) } });
    assert.equal(result.status, 403);
    assert.match(app.lines.at(-1) ?? "", / reason=NOT_ALLOWED status=403 method=sts via=header /);
  });

  const malformed: readonly {
    readonly name: string;
    readonly authorization: () => Promise<string | string[]>;
    readonly status: number;
    readonly code: string;
    readonly body: string;
  }[] = [
    {
      name: "two IAM values",
      authorization: async () => [await stsHeaderProof(app), await stsHeaderProof(app)],
      status: 400,
      code: "BAD_REQUEST",
      body: "The Authorization header is given 2 times; send one IAM proof\n",
    },
    {
      name: "an IAM value next to a Bearer one",
      authorization: async () => ["Bearer abc", await stsHeaderProof(app)],
      status: 400,
      code: "BAD_REQUEST",
      body: "The Authorization header is given 2 times; send one IAM proof\n",
    },
    {
      name: "no token",
      authorization: () => Promise.resolve("IAM"),
      status: 403,
      code: "TOKEN_MISSING",
      body: "The Authorization header has no token after IAM\n",
    },
    {
      name: "two words after IAM",
      authorization: async () => `${await stsHeaderProof(app)} more`,
      status: 400,
      code: "BAD_REQUEST",
      body: 'The Authorization header must be "IAM <token>", one token without spaces\n',
    },
    {
      name: "a token longer than 8192 characters",
      authorization: () => Promise.resolve(`IAM sts1.${"A".repeat(9000)}`),
      status: 403,
      code: "TOKEN_INVALID",
      body: "The token is longer than 8192 characters\n",
    },
    {
      name: "a KMS-looking token on an STS-only app",
      authorization: () => Promise.resolve("IAM AQIDBAUGBwg="),
      status: 403,
      code: "AUTH_METHOD_NOT_ACCEPTED",
      body: "This app does not accept the KMS method; it accepts: sts\n",
    },
    {
      name: "a nonce this app did not issue",
      authorization: () => Promise.resolve(`IAM ${stsToken("A".repeat(76), presignedUrl(START_TIME))}`),
      status: 403,
      code: "NONCE_INVALID",
      body: "The STS proof's nonce was not issued by this app\n",
    },
    {
      name: "a presigned URL for a host that only looks like STS",
      authorization: async () =>
        `IAM ${stsToken(await fetchNonce(app), presignedUrl(app.clock.now, { origin: "https://sts.amazonaws.com.evil.example" }))}`,
      status: 403,
      code: "STS_PROOF_REJECTED",
      body: "",
    },
  ];
  for (const bad of malformed) {
    it(`when the header has ${bad.name}: ${bad.status} ${bad.code}, no AWS call, no session`, async () => {
      const result = await send(app.url, "/echo", { headers: { authorization: await bad.authorization() } });
      assert.equal(result.status, bad.status);
      if (bad.body !== "") assert.equal(result.body, bad.body);
      assert.deepEqual(result.setCookies, []);
      assert.equal(app.stsEndpoint.requests.length, 0);
      assert.match(
        app.lines.at(-1) ?? "",
        new RegExp(` outcome=refused reason=${bad.code} status=${bad.status} `),
      );
    });
  }

  it("a refused header proof is not served by the cookie session the request also carries", async () => {
    const nonceChallenge = await send(app.url, "/", { headers: { accept: "text/plain" } });
    const nonce = /nonce="([^"]+)"/.exec(String(nonceChallenge.headers["www-authenticate"]))?.[1] ?? "";
    const signIn = await send(app.url, authPath(stsToken(nonce, presignedUrl(app.clock.now))), {
      headers: { cookie: cookieHeader(nonceChallenge.setCookies) },
    });
    assert.equal(signIn.status, 302);
    const session = cookieHeader(signIn.setCookies.filter((c) => c.startsWith("iam-auth-session")));
    assert.equal((await send(app.url, "/docs", { headers: { cookie: session } })).body, ALICE_ARN);
    const result = await send(app.url, "/docs", {
      headers: { cookie: session, authorization: "IAM junk.proof" },
    });
    assert.equal(result.status, 403);
  });

  it("whoami answers the proven identity, without session times", async () => {
    const result = await send(app.url, "/auth/whoami", {
      headers: { authorization: await stsHeaderProof(app) },
    });
    assert.equal(result.status, 200);
    assert.deepEqual(JSON.parse(result.body), { arn: ALICE_ARN, account: ACCOUNT_ID, userId: ALICE_USER_ID });
  });
});

describe("GET <authPath>/nonce", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ methods: ["sts", "kms"] });
  });
  after(() => app.close());

  it("answers a fresh nonce with the realm, methods and server-id as JSON, never cached, no cookie", async () => {
    const result = await send(app.url, "/auth/nonce");
    assert.equal(result.status, 200);
    assert.equal(result.headers["cache-control"], "no-store");
    assert.match(String(result.headers["content-type"]), /^application\/json/);
    assert.deepEqual(result.setCookies, []);
    const answer = JSON.parse(result.body) as Record<string, unknown>;
    assert.match(String(answer.nonce), /^[A-Za-z0-9_-]{76}$/);
    assert.deepEqual(answer, {
      realm: ACCOUNT_ID,
      methods: ["sts", "kms"],
      serverId: SERVER_ID,
      nonce: answer.nonce,
      expiresAt: new Date(START_TIME.getTime() + 300_000).toISOString(),
    });
    const second = JSON.parse((await send(app.url, "/auth/nonce")).body) as { nonce: string };
    assert.notEqual(second.nonce, answer.nonce);
  });

  it("refuses anything but GET and HEAD: 405 with Allow", async () => {
    const result = await send(app.url, "/auth/nonce", { method: "POST" });
    assert.equal(result.status, 405);
    assert.equal(result.headers.allow, "GET, HEAD");
    assert.equal(result.body, "POST is not allowed here; use GET\n");
  });

  it("its nonce is refused at /auth, where a hand-over needs the challenge's nonce cookie", async () => {
    const nonce = await fetchNonce(app);
    const result = await send(app.url, authPath(stsToken(nonce, presignedUrl(app.clock.now))));
    assert.equal(result.status, 403);
    assert.match(result.body, /nonce cookie is missing/);
    assert.equal(app.stsEndpoint.requests.length, 0);
  });

  it("on a KMS-only app: 403 AUTH_METHOD_NOT_ACCEPTED (the KMS method needs no nonce)", async () => {
    const kmsOnly = await startTestApp({ methods: ["kms"] });
    try {
      const result = await send(kmsOnly.url, "/auth/nonce");
      assert.equal(result.status, 403);
      assert.equal(
        result.body,
        "This app does not accept the STS method, the one that needs a nonce; it accepts: kms\n",
      );
    } finally {
      await kmsOnly.close();
    }
  });

  it("under a mount and another authPath: served at <mount><authPath>/nonce", async () => {
    const mounted = await startTestApp({
      methods: ["sts"],
      mountPath: "/admin",
      options: { authPath: "/login/iam" },
    });
    try {
      const nonce = await fetchNonce(mounted, "/admin/login/iam/nonce");
      const result = await send(mounted.url, "/admin/docs", {
        headers: { authorization: `IAM ${stsToken(nonce, presignedUrl(mounted.clock.now))}` },
      });
      assert.equal(result.status, 200);
      assert.equal(result.body, ALICE_ARN);
    } finally {
      await mounted.close();
    }
  });
});

describe("a proof in the Authorization header (KMS method)", () => {
  it("serves the request as the identity the credentials belong to", async () => {
    const app = await startTestApp({ methods: ["kms"] });
    try {
      const token = app.kms.encrypt(credentialsPlaintext(new Date(START_TIME.getTime() + 900_000)));
      const result = await send(app.url, "/docs", { headers: { authorization: `IAM ${token}` } });
      assert.equal(result.status, 200);
      assert.equal(result.body, ALICE_ARN);
      const replay = await send(app.url, "/docs", { headers: { authorization: `IAM ${token}` } });
      assert.equal(replay.status, 403);
      assert.match(app.lines.at(-1) ?? "", / reason=TOKEN_REPLAYED status=403 method=kms via=header /);
    } finally {
      await app.close();
    }
  });
});

describe("headerProof options", () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("header: a proof is read from that header only; Authorization goes to the app untouched", async () => {
    app = await startTestApp({ methods: ["sts"], options: { headerProof: { header: "X-Iam-Proof" } } });
    const inAuthorization = await send(app.url, "/echo", {
      headers: { authorization: await stsHeaderProof(app), accept: "text/plain" },
    });
    assert.equal(inAuthorization.status, 401, "Authorization is the app's own now");
    const result = await send(app.url, "/echo", {
      headers: { "x-iam-proof": await stsHeaderProof(app), authorization: "Bearer app-token" },
    });
    assert.equal(result.status, 200);
    assert.deepEqual(JSON.parse(result.body), {
      method: "GET",
      arn: ALICE_ARN,
      authorization: "Bearer app-token",
    });
  });

  it("startSession: the answer also starts a cookie session the next request uses", async () => {
    app = await startTestApp({ methods: ["sts"], options: { headerProof: { startSession: true } } });
    const result = await send(app.url, "/docs", { headers: { authorization: await stsHeaderProof(app) } });
    assert.equal(result.status, 200);
    assert.equal(result.setCookies.length, 2, result.setCookies.join("\n"));
    const next = await send(app.url, "/docs", { headers: { cookie: cookieHeader(result.setCookies) } });
    assert.equal(next.body, ALICE_ARN);
  });

  it("false: an IAM header is ignored (the challenge) and /auth/nonce is the app's own path", async () => {
    app = await startTestApp({ methods: ["sts"], options: { headerProof: false } });
    const proof = await send(app.url, "/echo", {
      headers: { authorization: "IAM sts1.x.https://sts.amazonaws.com/", accept: "text/plain" },
    });
    assert.equal(proof.status, 401);
    assert.equal((await send(app.url, "/auth/nonce", { headers: { accept: "text/plain" } })).status, 401);
  });

  it("failed header proofs count towards failedSignInLimit; accepted ones do not, whatever the app answers", async () => {
    app = await startTestApp({
      methods: ["sts"],
      options: { failedSignInLimit: { maxFailures: 2, windowSeconds: 60 } },
    });
    const target = app;
    // Five accepted proofs for a path the app does not have (404): none is counted.
    for (let i = 0; i < 5; i++) {
      const result = await send(target.url, "/missing", {
        headers: { authorization: await stsHeaderProof(target) },
      });
      assert.equal(result.status, 404);
    }
    target.stsEndpoint.respond = () => errorResponse(403, "InvalidClientTokenId");
    for (let i = 0; i < 2; i++) {
      assert.equal(
        (await send(target.url, "/docs", { headers: { authorization: await stsHeaderProof(target) } }))
          .status,
        403,
      );
    }
    const limited = await send(target.url, "/docs", {
      headers: { authorization: await stsHeaderProof(target) },
    });
    assert.equal(limited.status, 429);
    assert.equal(target.stsEndpoint.requests.length, 7, "the 429 cost no STS call");
  });

  for (const [value, problem] of [
    [
      { header: "Cookie" },
      'headerProof.header: "Cookie" has a meaning of its own in HTTP; name another header, e.g. "x-iam-proof"',
    ],
    [
      { header: "content-md5" },
      'headerProof.header: "content-md5" has a meaning of its own in HTTP; name another header, e.g. "x-iam-proof"',
    ],
    [
      { header: "bad header" },
      'headerProof.header: must be an HTTP header name such as "authorization" (got "bad header")',
    ],
    [{ startSession: "yes" }, 'headerProof.startSession: must be true or false (got "yes")'],
    [{ sessions: true }, "headerProof.sessions: unknown option (known: header, startSession)"],
    [true, "headerProof: must be false or { header, startSession } (got true)"],
  ] as const) {
    it(`refuses headerProof ${JSON.stringify(value)} at start-up, naming the problem`, () => {
      assert.throws(
        () =>
          iamAuth({
            accountId: ACCOUNT_ID,
            sts: { serverId: SERVER_ID },
            sessionSecrets: [SECRET_A],
            headerProof: value as never,
          }),
        (error: unknown) => error instanceof TypeError && error.message.includes(problem),
      );
    });
  }

  it("refuses a signOutPath or whoamiPath where the nonce is served", () => {
    assert.throws(
      () =>
        iamAuth({
          accountId: ACCOUNT_ID,
          kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, serverId: SERVER_ID },
          sessionSecrets: [SECRET_A],
          whoamiPath: "/auth/nonce",
        }),
      /whoamiPath: must differ from "\/auth\/nonce", where the nonce for header proofs is served/,
    );
  });
});
