import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { IamAuthError, type ReplayStore } from "../../../../server-middleware/index.js";
import { createNonceIssuer } from "../../../../server-middleware/proofs/nonce.js";
import { ACCOUNT_ID, ALICE_ARN, credentialsPlaintext } from "../fake-aws.js";
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
  readNonce,
  send,
  SECRET_A,
  SECRET_B,
  SERVER_ID,
  startTestApp,
  START_TIME,
  type TestApp,
} from "../test-app.js";

const isoTime = START_TIME.toISOString();
const later = (seconds: number): Date => new Date(START_TIME.getTime() + seconds * 1000);

describe("GET /auth with an STS proof", () => {
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

  const goodToken = async (): Promise<string> => stsToken(await readNonce(app), presignedUrl(app.clock.now));

  describe("when the proof is good", () => {
    it("starts a session and redirects to return_url", async () => {
      const result = await send(app.url, authPath(await goodToken(), "/docs?page=2"));
      assert.equal(result.status, 302);
      assert.equal(result.headers.location, "/docs?page=2");
      assert.equal(result.setCookies.length, 3);
      // The challenge's nonce cookie is cleared: it served its one sign-in.
      assert.match(
        result.setCookies[0] ?? "",
        /^iam-auth-session-nonce-[A-Za-z0-9_-]{11}=; Path=\/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
      );
      const home = await send(app.url, "/docs", { headers: { cookie: cookieHeader(result.setCookies) } });
      assert.equal(home.status, 200);
      assert.equal(home.body, ALICE_ARN);
      assert.deepEqual(app.lines, [
        `${isoTime} audit action=sign-in outcome=success status=302 method=sts via=redirect identity=${ALICE_ARN} remote=127.0.0.1 requestId=ID durationMs=N`,
      ]);
    });

    it("sends the checked URL itself with its own server-id, the nonce, JSON and no redirects", async () => {
      const nonce = await readNonce(app);
      const url = presignedUrl(app.clock.now);
      await send(app.url, authPath(stsToken(nonce, url)), { headers: { host: "evil.example" } });
      assert.equal(app.stsEndpoint.requests.length, 1);
      const [request] = app.stsEndpoint.requests;
      assert.equal(request?.url, url);
      assert.equal(request?.init.method, "GET");
      assert.deepEqual(request?.init.headers, {
        "x-iam-auth-server-id": SERVER_ID,
        "x-iam-auth-nonce": nonce,
        accept: "application/json",
      });
      assert.equal(request?.init.redirect, "manual");
      assert.ok(request?.init.signal instanceof AbortSignal);
    });
  });

  interface Refusal {
    readonly name: string;
    readonly token: (app: TestApp) => Promise<string>;
    readonly setup?: (app: TestApp) => void;
    readonly status: number;
    readonly code: string;
    readonly message: string;
    /** How many requests reach STS. Default 0. */
    readonly stsRequests?: number;
  }

  const rejected = (why: string): string => `The STS proof is rejected: ${why}`;
  const withNonce =
    (url: (now: Date) => string) =>
    async (app: TestApp): Promise<string> =>
      stsToken(await readNonce(app), url(app.clock.now));
  const refusals: Refusal[] = [
    {
      name: "the token has no URL part",
      token: async (app) => `sts1.${await readNonce(app)}`,
      status: 403,
      code: "STS_PROOF_MALFORMED",
      message: "The STS proof is malformed: expected sts1.<nonce>.<url>",
    },
    {
      name: "a second Action is smuggled in with another case (&action=AssumeRole)",
      token: withNonce((now) => presignedUrl(now, { extra: "&action=AssumeRole" })),
      status: 403,
      code: "STS_PROOF_REJECTED",
      message: rejected('query parameter "action" is repeated'),
    },
    {
      name: "the URL points at a host that is not STS",
      token: withNonce((now) => presignedUrl(now, { origin: "https://sts.evil.example" })),
      status: 403,
      code: "STS_PROOF_REJECTED",
      message: rejected('"sts.evil.example" is not an AWS STS endpoint'),
    },
    {
      name: "the URL is plain http (no testStsEndpoint configured)",
      token: withNonce((now) => presignedUrl(now, { origin: "http://127.0.0.1:4566" })),
      status: 403,
      code: "STS_PROOF_REJECTED",
      message: rejected("the URL is not https"),
    },
    {
      name: "the proof signs other headers",
      token: withNonce((now) =>
        presignedUrl(now, { overrides: { "X-Amz-SignedHeaders": "host;x-iam-auth-nonce" } }),
      ),
      status: 403,
      code: "STS_PROOF_REJECTED",
      message: rejected("X-Amz-SignedHeaders must be host;x-iam-auth-nonce;x-iam-auth-server-id"),
    },
    {
      name: "it was signed more than 5 minutes ago",
      token: withNonce((now) => presignedUrl(new Date(now.getTime() - 301_000))),
      status: 403,
      code: "STS_PROOF_REJECTED",
      message: rejected("it was signed too long ago"),
    },
    {
      name: "the nonce was not issued by this app (forged)",
      token: (app) => Promise.resolve(stsToken("A".repeat(76), presignedUrl(app.clock.now))),
      status: 403,
      code: "NONCE_INVALID",
      message: "The STS proof's nonce was not issued by this app",
    },
    {
      name: "the nonce was issued by an app with another secret",
      token: (app) => {
        const other = createNonceIssuer({ secrets: [SECRET_B], maxAgeSeconds: 300 });
        return Promise.resolve(stsToken(other.issue(app.clock.now), presignedUrl(app.clock.now)));
      },
      status: 403,
      code: "NONCE_INVALID",
      message: "The STS proof's nonce was not issued by this app",
    },
    {
      name: "the nonce is older than 5 minutes (the presigned URL is fresh)",
      token: async (app) => {
        const nonce = await readNonce(app);
        app.clock.now = later(301);
        return stsToken(nonce, presignedUrl(app.clock.now));
      },
      status: 403,
      code: "NONCE_EXPIRED",
      message: "The STS proof's nonce has expired; sign in again",
    },
    {
      name: "a KMS token (this app offers STS only)",
      token: (app) => Promise.resolve(app.kms.encrypt(credentialsPlaintext(later(900)))),
      status: 403,
      code: "AUTH_METHOD_NOT_ACCEPTED",
      message: "This app does not accept the KMS method; it accepts: sts",
    },
    {
      name: "AWS says the signature does not match (e.g. signed for another server-id)",
      token: withNonce((now) => presignedUrl(now)),
      setup: (app) => {
        app.stsEndpoint.respond = () => errorResponse(403, "SignatureDoesNotMatch");
      },
      status: 403,
      code: "STS_PROOF_REFUSED",
      message: "AWS STS rejected the proof (SignatureDoesNotMatch)",
      stsRequests: 1,
    },
    {
      name: "AWS says the session token expired",
      token: withNonce((now) => presignedUrl(now)),
      setup: (app) => {
        app.stsEndpoint.respond = () => errorResponse(403, "ExpiredToken");
      },
      status: 403,
      code: "STS_PROOF_REFUSED",
      message: "AWS STS rejected the proof (ExpiredToken)",
      stsRequests: 1,
    },
    {
      name: "the identity is in another account",
      token: withNonce((now) => presignedUrl(now)),
      setup: (app) => {
        app.stsEndpoint.respond = () =>
          identityResponse({
            Arn: "arn:aws:iam::444455556666:user/mallory",
            Account: "444455556666",
            UserId: "AIDAMALLORY",
          });
      },
      status: 403,
      code: "NOT_ALLOWED",
      message: "The identity arn:aws:iam::444455556666:user/mallory is not allowed to use this app",
      stsRequests: 1,
    },
    {
      name: "return_url points to another site (checked before anything else)",
      token: withNonce((now) => presignedUrl(now)),
      status: 403,
      code: "RETURN_URL_UNSAFE",
      message: 'return_url must be a path on this site: it starts with "//"',
    },
  ];

  for (const refusal of refusals) {
    it(`when ${refusal.name}: ${refusal.status} ${refusal.code}, no session`, async () => {
      refusal.setup?.(app);
      const token = await refusal.token(app);
      const returnUrl = refusal.code === "RETURN_URL_UNSAFE" ? "//evil.example/" : undefined;
      const result = await send(app.url, authPath(token, returnUrl));
      assert.equal(result.status, refusal.status);
      assert.equal(result.body, `${refusal.message}\n`);
      assert.deepEqual(result.setCookies, []);
      assert.equal(app.stsEndpoint.requests.length, refusal.stsRequests ?? 0, "requests sent to STS");
      assert.equal(app.lines.length, 1);
      assert.ok(
        app.lines[0]?.startsWith(
          `${app.clock.now.toISOString()} audit action=sign-in outcome=refused reason=${refusal.code} status=${refusal.status} `,
        ),
        app.lines[0],
      );
      assert.ok(app.lines[0]?.includes(` message=${JSON.stringify(refusal.message)}`), app.lines[0]);
    });
  }

  it("when the same proof is sent twice: the second is 403 TOKEN_REPLAYED, no session", async () => {
    const token = await goodToken();
    assert.equal((await send(app.url, authPath(token))).status, 302);
    const replay = await send(app.url, authPath(token));
    assert.equal(replay.status, 403);
    assert.equal(replay.body, "The STS proof has already been used\n");
    assert.deepEqual(replay.setCookies, []);
    // The nonce is claimed once STS vouched for the proof, so the replay costs one STS call.
    assert.equal(app.stsEndpoint.requests.length, 2);
  });

  it("when one good proof is sent 10 times in parallel: exactly one session", async () => {
    const token = await goodToken();
    const results = await Promise.all(Array.from({ length: 10 }, () => send(app.url, authPath(token))));
    assert.deepEqual(
      results.map((result) => result.status).sort(),
      [302, 403, 403, 403, 403, 403, 403, 403, 403, 403],
    );
    assert.equal(results.filter((result) => result.setCookies.length > 0).length, 1);
    for (const result of results.filter((r) => r.status === 403))
      assert.equal(result.body, "The STS proof has already been used\n");
  });

  // Regression: the nonce was claimed before STS checked the proof, so a junk proof (made-up
  // key, zero signature) naming someone's nonce spent it and locked that person out.
  it("when STS refused a proof, its nonce is not spent: a good proof with it still signs in", async () => {
    const nonce = await readNonce(app);
    app.stsEndpoint.respond = () => errorResponse(403, "InvalidClientTokenId");
    const junk = await send(app.url, authPath(stsToken(nonce, presignedUrl(app.clock.now))));
    assert.equal(junk.status, 403);
    assert.equal(junk.body, "AWS STS rejected the proof (InvalidClientTokenId)\n");
    app.stsEndpoint.respond = () =>
      identityResponse({ Arn: ALICE_ARN, Account: ACCOUNT_ID, UserId: ALICE_USER_ID });
    const retry = await send(app.url, authPath(stsToken(nonce, presignedUrl(app.clock.now))));
    assert.equal(retry.status, 302);
    assert.equal(app.stsEndpoint.requests.length, 2);
  });
});

// Login CSRF: someone the app allows presigns a proof with a nonce from any 401 and makes the
// person's browser open /auth?token=<their proof>; the browser would be signed in as them.
describe("GET /auth with an STS proof: the browser that was challenged", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ methods: ["sts"] });
  });
  after(() => app.close());
  afterEach(() => {
    app.stsEndpoint.requests.length = 0;
  });

  it("gets an HttpOnly, SameSite=Lax nonce cookie with the challenge, for /auth only, as long as the nonce lives, without the nonce in it", async () => {
    const result = await send(app.url, "/", { headers: { accept: "text/plain" } });
    assert.equal(result.status, 401);
    assert.equal(result.setCookies.length, 1);
    const field = result.setCookies[0] ?? "";
    assert.match(
      field,
      /^iam-auth-session-nonce-[A-Za-z0-9_-]{11}=[A-Za-z0-9_-]{32}; Max-Age=300; Path=\/auth; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    const nonce = /nonce="([^"]+)"/.exec(String(result.headers["www-authenticate"]))?.[1] ?? "";
    assert.ok(nonce.length > 0);
    assert.ok(!field.includes(nonce) && !field.includes(nonce.slice(0, 16)));
  });

  it("gets a Secure nonce cookie over https (X-Forwarded-Proto from a trusted proxy)", async () => {
    const trusting = await startTestApp({ methods: ["sts"], trustProxy: "loopback" });
    try {
      const result = await send(trusting.url, "/", {
        headers: { accept: "text/plain", "x-forwarded-proto": "https" },
      });
      assert.match(result.setCookies[0] ?? "", /; HttpOnly; Secure; SameSite=Lax$/);
    } finally {
      await trusting.close();
    }
  });

  it("when the proof comes without any nonce cookie: 403 NONCE_COOKIE_MISSING, STS never called, nonce not spent", async () => {
    const token = stsToken(await readNonce(app), presignedUrl(app.clock.now));
    const result = await send(app.url, authPath(token), { nonceCookie: false });
    assert.equal(result.status, 403);
    assert.equal(
      result.body,
      "The sign-in did not come from the browser that was challenged: its nonce cookie is missing\n",
    );
    assert.deepEqual(result.setCookies, []);
    assert.equal(app.stsEndpoint.requests.length, 0);
    assert.equal((await send(app.url, authPath(token))).status, 302, "the challenged browser still signs in");
  });

  it("when the proof comes with another challenge's nonce cookie: 403 NONCE_COOKIE_MISMATCH, STS never called", async () => {
    const attackerNonce = await readNonce(app);
    await readNonce(app);
    const victimCookie = (await send(app.url, "/", { headers: { accept: "text/plain" } })).setCookies;
    const token = stsToken(attackerNonce, presignedUrl(app.clock.now));
    const result = await send(app.url, authPath(token), { headers: { cookie: cookieHeader(victimCookie) } });
    assert.equal(result.status, 403);
    assert.equal(
      result.body,
      "The sign-in did not come from the browser that was challenged: no nonce cookie matches the proof's nonce\n",
    );
    assert.equal(app.stsEndpoint.requests.length, 0);
  });

  it("when the nonce cookie is forged (its name, another value): 403 NONCE_COOKIE_MISMATCH", async () => {
    const challenge = await send(app.url, "/", { headers: { accept: "text/plain" } });
    const nonce = /nonce="([^"]+)"/.exec(String(challenge.headers["www-authenticate"]))?.[1] ?? "";
    const name = (challenge.setCookies[0] ?? "").split("=")[0] ?? "";
    const token = stsToken(nonce, presignedUrl(app.clock.now));
    const result = await send(app.url, authPath(token), { headers: { cookie: `${name}=${"A".repeat(32)}` } });
    assert.equal(result.status, 403);
    assert.match(result.body, /no nonce cookie matches the proof's nonce\n$/);
    assert.equal(app.stsEndpoint.requests.length, 0);
  });

  it("when the challenge was signed under a secret since rotated to second place: still accepted", async () => {
    const before = await startTestApp({ methods: ["sts"], options: { sessionSecrets: [SECRET_B] } });
    const rotated = await startTestApp({
      methods: ["sts"],
      options: {
        sessionSecrets: [SECRET_A, SECRET_B],
        sts: { serverId: SERVER_ID, fetch: before.stsEndpoint.fetch },
      },
    });
    try {
      const challenge = await send(before.url, "/", { headers: { accept: "text/plain" } });
      const nonce = /nonce="([^"]+)"/.exec(String(challenge.headers["www-authenticate"]))?.[1] ?? "";
      const token = stsToken(nonce, presignedUrl(rotated.clock.now));
      const result = await send(rotated.url, authPath(token), {
        headers: { cookie: cookieHeader(challenge.setCookies) },
      });
      assert.equal(result.status, 302, result.body);
    } finally {
      await rotated.close();
      await before.close();
    }
  });
});

describe("GET /auth with an STS proof, when the replay store fails", () => {
  const cases: { name: string; store: ReplayStore; code: string; message: string }[] = [
    {
      name: "with an error of its own",
      store: { claim: () => Promise.reject(new Error("connection reset")) },
      code: "REPLAY_STORE_UNAVAILABLE",
      message: "The replay store failed; try again later",
    },
    {
      name: "because it is full",
      store: {
        claim: () =>
          Promise.reject(
            new IamAuthError(
              "REPLAY_STORE_FULL",
              "Too many sign-ins are in progress; try again in a few minutes",
            ),
          ),
      },
      code: "REPLAY_STORE_FULL",
      message: "Too many sign-ins are in progress; try again in a few minutes",
    },
  ];
  for (const { name, store, code, message } of cases) {
    it(`${name}: 503 ${code}, no session (after STS vouched for the proof)`, async () => {
      const app = await startTestApp({ methods: ["sts"], options: { replayStore: store } });
      try {
        const token = stsToken(await readNonce(app), presignedUrl(app.clock.now));
        const result = await send(app.url, authPath(token));
        assert.equal(result.status, 503);
        assert.equal(result.body, `${message}\n`);
        assert.deepEqual(result.setCookies, []);
        assert.equal(app.stsEndpoint.requests.length, 1);
        assert.match(
          app.lines[0] ?? "",
          new RegExp(` audit action=sign-in outcome=failed reason=${code} status=503 `),
        );
      } finally {
        await app.close();
      }
    });
  }
});

describe("GET /auth with sts.serverId written in capitals", () => {
  it("sends it normalised (lower-case), as clients sign it", async () => {
    const app = await startTestApp({ methods: ["sts"] });
    const custom = await startTestApp({
      methods: ["sts"],
      options: { sts: { serverId: "App.Test:3000", fetch: app.stsEndpoint.fetch } },
    });
    try {
      const token = stsToken(await readNonce(custom), presignedUrl(custom.clock.now));
      assert.equal((await send(custom.url, authPath(token))).status, 302);
      assert.equal(app.stsEndpoint.requests[0]?.init.headers["x-iam-auth-server-id"], "app.test:3000");
    } finally {
      await custom.close();
      await app.close();
    }
  });
});

describe("GET /auth on a KMS-only app", () => {
  it("refuses an STS proof: 403 AUTH_METHOD_NOT_ACCEPTED", async () => {
    const app = await startTestApp();
    try {
      const token = stsToken("n".repeat(76), presignedUrl(app.clock.now));
      const result = await send(app.url, authPath(token));
      assert.equal(result.status, 403);
      assert.equal(result.body, "This app does not accept the STS method; it accepts: kms\n");
      assert.equal(app.kms.decryptCalls.length, 0);
    } finally {
      await app.close();
    }
  });
});
