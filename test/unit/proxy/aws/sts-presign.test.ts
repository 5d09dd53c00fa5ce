import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { verifySigV4, type SignedHttpRequest } from "../../../../local-aws/sigv4-verify.js";
import { checkPresignedCallerIdentity, NONCE_HEADER, SERVER_ID_HEADER } from "../../../../protocol/index.js";
import { defaultStsEndpoint, presignCallerIdentity, type PresignInput } from "../../../../proxy/index.js";
import { NONCE, ROLE_CREDENTIALS, USER_CREDENTIALS } from "../fakes.js";

const signingDate = new Date("2026-11-21T06:15:02.000Z");
const localSts = "http://127.0.0.1:4566";

function input(overrides: Partial<PresignInput> = {}): PresignInput {
  return {
    credentials: USER_CREDENTIALS,
    endpoint: localSts,
    region: "us-east-1",
    serverId: "app.internal:3000",
    nonce: NONCE,
    signingDate,
    ...overrides,
  };
}

/** The rules the app's server-middleware applies before it sends a proof anywhere. */
const serverRules = (testOrigins: readonly string[], now = signingDate) => ({
  now,
  maxAgeSeconds: 300,
  maxFutureSkewSeconds: 300,
  extraStsHosts: [],
  testOrigins,
});

/** The request the app sends: the presigned URL with its own server-id and the nonce as headers. */
function asSentByApp(url: URL, serverId: string, nonce: string): SignedHttpRequest {
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  return {
    method: "GET",
    path: url.pathname,
    query,
    headers: { host: url.host, [SERVER_ID_HEADER]: serverId, [NONCE_HEADER]: nonce },
    body: new Uint8Array(),
  };
}

const verifyAsSts = (request: SignedHttpRequest) =>
  verifySigV4(request, {
    service: "sts",
    now: signingDate,
    findSecret: (id) =>
      id === USER_CREDENTIALS.accessKeyId ? { secretAccessKey: USER_CREDENTIALS.secretAccessKey } : undefined,
  });

describe("presignCallerIdentity", () => {
  it("presigns GET / GetCallerIdentity with exactly the query keys the server allows", async () => {
    const url = new URL(await presignCallerIdentity(input()));
    assert.equal(url.origin, localSts);
    assert.equal(url.pathname, "/");
    assert.deepEqual(
      [...url.searchParams.keys()],
      [
        "Action",
        "Version",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
      ],
    );
    assert.equal(url.searchParams.get("Action"), "GetCallerIdentity");
    assert.equal(url.searchParams.get("Version"), "2011-06-15");
    assert.equal(url.searchParams.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
    assert.equal(
      url.searchParams.get("X-Amz-Credential"),
      "AKIATESTDEMOUSER0001/20261121/us-east-1/sts/aws4_request",
    );
    assert.equal(url.searchParams.get("X-Amz-Date"), "20261121T061502Z");
    assert.equal(url.searchParams.get("X-Amz-Expires"), "60");
    // The binding headers stay signed headers: they are not hoisted into the query.
    assert.equal(url.searchParams.get("X-Amz-SignedHeaders"), "host;x-iam-auth-nonce;x-iam-auth-server-id");
    assert.match(url.searchParams.get("X-Amz-Signature") ?? "", /^[0-9a-f]{64}$/);
  });

  it("passes the server's checks (checkPresignedCallerIdentity) with the local STS as its test origin", async () => {
    const url = await presignCallerIdentity(input());
    const checked = checkPresignedCallerIdentity(
      url,
      serverRules([localSts], new Date(signingDate.getTime() + 5000)),
    );
    assert.equal(checked.accessKeyId, "AKIATESTDEMOUSER0001");
    assert.equal(checked.region, "us-east-1");
  });

  it("is refused by a server that does not allow the local STS (http and not an AWS host)", async () => {
    const url = await presignCallerIdentity(input());
    assert.throws(() => checkPresignedCallerIdentity(url, serverRules([])), {
      code: "STS_PROOF_REJECTED",
      message: "The STS proof is rejected: the URL is not https",
    });
  });

  it("passes the server's checks for the real regional endpoint, with no test origin", async () => {
    const endpoint = defaultStsEndpoint("eu-west-1");
    const url = await presignCallerIdentity(input({ endpoint, region: "eu-west-1" }));
    assert.ok(url.startsWith("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&"), url);
    assert.equal(checkPresignedCallerIdentity(url, serverRules([])).region, "eu-west-1");
  });

  it("carries the session token of temporary credentials (role, SSO) as X-Amz-Security-Token", async () => {
    const url = new URL(await presignCallerIdentity(input({ credentials: ROLE_CREDENTIALS })));
    assert.equal(url.searchParams.get("X-Amz-Security-Token"), ROLE_CREDENTIALS.sessionToken);
    assert.doesNotThrow(() => checkPresignedCallerIdentity(url.href, serverRules([localSts])));
  });

  it("signs the server-id and nonce: STS accepts the request only with exactly those values", async () => {
    const url = new URL(await presignCallerIdentity(input()));
    const verified = await verifyAsSts(asSentByApp(url, "app.internal:3000", NONCE));
    assert.equal(verified.accessKeyId, USER_CREDENTIALS.accessKeyId);
    assert.equal(verified.form, "presigned");
    await assert.rejects(verifyAsSts(asSentByApp(url, "other.internal:3000", NONCE)), {
      code: "SignatureMismatch",
    });
    await assert.rejects(verifyAsSts(asSentByApp(url, "app.internal:3000", `${NONCE}x`)), {
      code: "SignatureMismatch",
    });
  });
});

describe("defaultStsEndpoint", () => {
  it("is the regional endpoint, .amazonaws.com.cn in China", () => {
    assert.equal(defaultStsEndpoint("us-east-1"), "https://sts.us-east-1.amazonaws.com");
    assert.equal(defaultStsEndpoint("cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn");
  });
});
