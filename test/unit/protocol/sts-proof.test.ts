import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkPresignedCallerIdentity,
  formatStsProof,
  isAwsStsHost,
  normalizeAuthority,
  parseStsProof,
  ProtocolError,
  type PresignedCallRules,
} from "../../../protocol/index.js";

const now = new Date("2026-11-21T06:00:00Z");
const rules: PresignedCallRules = {
  now,
  maxAgeSeconds: 300,
  maxFutureSkewSeconds: 60,
  extraStsHosts: [],
  testOrigins: ["http://127.0.0.1:4566"],
};
const good: Record<string, string> = {
  Action: "GetCallerIdentity",
  Version: "2011-06-15",
  "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
  "X-Amz-Credential": "AKIALOCALDEMO0000001/20261121/us-east-1/sts/aws4_request",
  "X-Amz-Date": "20261121T055930Z",
  "X-Amz-Expires": "60",
  "X-Amz-SignedHeaders": "host;x-iam-auth-nonce;x-iam-auth-server-id",
  "X-Amz-Signature": "f".repeat(64),
};

function presigned(
  overrides: Record<string, string | undefined> = {},
  origin = "https://sts.us-east-1.amazonaws.com",
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...good, ...overrides }))
    if (value !== undefined) params.append(key, value);
  return `${origin}/?${params.toString()}`;
}

function rejected(url: string, reason: string, custom: Partial<PresignedCallRules> = {}): void {
  assert.throws(
    () => checkPresignedCallerIdentity(url, { ...rules, ...custom }),
    (error: unknown) =>
      error instanceof ProtocolError &&
      error.code === "STS_PROOF_REJECTED" &&
      error.message === `The STS proof is rejected: ${reason}`,
  );
}

describe("checkPresignedCallerIdentity", () => {
  it("accepts a well-formed presigned call and reads its key, region and date", () => {
    const checked = checkPresignedCallerIdentity(presigned(), rules);
    assert.equal(checked.accessKeyId, "AKIALOCALDEMO0000001");
    assert.equal(checked.region, "us-east-1");
    assert.equal(checked.signedAt.toISOString(), "2026-11-21T05:59:30.000Z");
    assert.equal(checked.url.hostname, "sts.us-east-1.amazonaws.com");
  });

  it("accepts the global endpoint, FIPS, dual-stack and China", () => {
    for (const origin of [
      "https://sts.amazonaws.com",
      "https://sts-fips.us-east-1.amazonaws.com",
      "https://sts.us-east-1.api.aws",
    ]) {
      assert.equal(checkPresignedCallerIdentity(presigned({}, origin), rules).region, "us-east-1");
    }
    const cn = presigned(
      { "X-Amz-Credential": "AKIALOCALDEMO0000001/20261121/cn-north-1/sts/aws4_request" },
      "https://sts.cn-north-1.amazonaws.com.cn",
    );
    assert.equal(checkPresignedCallerIdentity(cn, rules).region, "cn-north-1");
  });

  it("accepts the configured test origin over http, and only that one", () => {
    assert.equal(
      checkPresignedCallerIdentity(presigned({}, "http://127.0.0.1:4566"), rules).url.port,
      "4566",
    );
    rejected(presigned({}, "http://127.0.0.1:4567"), "the URL is not https");
  });

  it("rejects hosts that are not STS", () => {
    rejected(presigned({}, "https://evil.example"), '"evil.example" is not an AWS STS endpoint');
    rejected(
      presigned({}, "https://sts.us-east-1.amazonaws.com.evil.example"),
      '"sts.us-east-1.amazonaws.com.evil.example" is not an AWS STS endpoint',
    );
    rejected(presigned({}, "https://sts.amazonaws.com:8443"), "the URL names a port");
    rejected(presigned({}, "http://sts.amazonaws.com"), "the URL is not https");
    rejected(presigned().replace("https://", "https://user@"), "the URL has userinfo or a fragment");
  });

  it("allows extra hosts only when configured", () => {
    const vpce = presigned({}, "https://vpce-1.sts.us-east-1.vpce.amazonaws.com");
    rejected(vpce, '"vpce-1.sts.us-east-1.vpce.amazonaws.com" is not an AWS STS endpoint');
    assert.ok(
      checkPresignedCallerIdentity(vpce, {
        ...rules,
        extraStsHosts: ["vpce-1.sts.us-east-1.vpce.amazonaws.com"],
      }),
    );
  });

  it("rejects another path", () => {
    rejected(presigned().replace("amazonaws.com/?", "amazonaws.com/x?"), 'the path is not "/"');
  });

  it("rejects duplicate keys, also when they differ only in case (CVE-2022-2385)", () => {
    rejected(`${presigned()}&Action=GetCallerIdentity`, 'query parameter "Action" is repeated');
    rejected(`${presigned()}&action=AssumeRole`, 'query parameter "action" is repeated');
    rejected(`${presigned()}&x-amz-signedheaders=host`, 'query parameter "x-amz-signedheaders" is repeated');
  });

  it("rejects unexpected and missing keys", () => {
    rejected(`${presigned()}&RoleArn=x`, 'unexpected query parameter "RoleArn"');
    rejected(presigned({ "X-Amz-Signature": undefined }), "query parameter X-Amz-Signature is missing");
  });

  it("rejects another action or version", () => {
    rejected(presigned({ Action: "AssumeRole" }), "Action is not GetCallerIdentity");
    rejected(presigned({ Version: "2012-01-01" }), "Version is not 2011-06-15");
    rejected(presigned({ "X-Amz-Algorithm": "AWS4-HMAC-SHA1" }), "X-Amz-Algorithm is not AWS4-HMAC-SHA256");
  });

  it("requires host and both binding headers to be signed", () => {
    const reason = "X-Amz-SignedHeaders must be host;x-iam-auth-nonce;x-iam-auth-server-id";
    rejected(presigned({ "X-Amz-SignedHeaders": "host" }), reason);
    rejected(presigned({ "X-Amz-SignedHeaders": "host;x-iam-auth-server-id" }), reason);
    rejected(
      presigned({ "X-Amz-SignedHeaders": "host;x-iam-auth-nonce;x-iam-auth-server-id;x-extra" }),
      reason,
    );
  });

  it("rejects dates too old, in the future or past X-Amz-Expires", () => {
    rejected(presigned({ "X-Amz-Date": "20261121T055400Z" }), "it was signed too long ago");
    rejected(presigned({ "X-Amz-Date": "20261121T060200Z" }), "it is signed in the future");
    rejected(
      presigned({ "X-Amz-Date": "20261121T055800Z", "X-Amz-Expires": "60" }),
      "the presigned request has expired",
    );
    rejected(presigned({ "X-Amz-Expires": "3600" }), "X-Amz-Expires must be 1..300 seconds");
    rejected(presigned({ "X-Amz-Date": "20261321T055930Z" }), "X-Amz-Date is not a date");
  });

  it("rejects a credential scope that does not fit", () => {
    rejected(
      presigned({ "X-Amz-Credential": "AKIALOCALDEMO0000001/20261121/us-east-1/iam/aws4_request" }),
      "it is not signed for STS",
    );
    rejected(
      presigned({ "X-Amz-Credential": "AKIALOCALDEMO0000001/20261120/us-east-1/sts/aws4_request" }),
      "the credential scope date is not X-Amz-Date's",
    );
    rejected(
      presigned({ "X-Amz-Credential": "AKIALOCALDEMO0000001/20261121/eu-west-1/sts/aws4_request" }),
      "the signing region does not match the STS endpoint",
    );
    rejected(presigned({ "X-Amz-Credential": "bad" }), "X-Amz-Credential is malformed");
  });
});

describe("checkPresignedCallerIdentity reads X-Amz-Expires strictly", () => {
  // Each of these passed a Number() check and cost an STS call before.
  for (const expires of [
    "1e2",
    "0x3c",
    " 60",
    "60 ",
    "60.0",
    "+60",
    "060",
    "6e1",
    "-0",
    "0",
    "",
    "٦٠",
    "60\n",
  ]) {
    it(`rejects X-Amz-Expires ${JSON.stringify(expires)}`, () => {
      rejected(presigned({ "X-Amz-Expires": expires }), "X-Amz-Expires must be 1..300 seconds");
    });
  }
  it("accepts plain decimal digits", () => {
    for (const expires of ["30", "60", "300"])
      assert.equal(
        checkPresignedCallerIdentity(presigned({ "X-Amz-Expires": expires }), rules).url.hostname,
        "sts.us-east-1.amazonaws.com",
      );
  });
});

describe("STS proof token", () => {
  it("round-trips nonce and URL", () => {
    const proof = { nonce: "abcdefghijklmnop_-12", presignedUrl: presigned() };
    const token = formatStsProof(proof);
    assert.match(token, /^sts1\.abcdefghijklmnop_-12\.[A-Za-z0-9_-]+$/);
    assert.deepEqual(parseStsProof(token), proof);
  });

  for (const [token, reason] of [
    ["sts1.short.aHR0cHM6Ly94", "the nonce is not a nonce"],
    ["sts1.abcdefghijklmnopq", "expected sts1.<nonce>.<url>"],
    ["sts1.abcdefghijklmnopq.a.b", "expected sts1.<nonce>.<url>"],
    ["sts1.abcdefghijklmnopq.a+b/", "the URL is not base64url"],
    ["AQID", 'it does not start with "sts1."'],
    // "aHR0cHM6Ly94" is "https://x"; one more character, or other trailing bits, decode alike.
    ["sts1.abcdefghijklmnopq.aHR0cHM6Ly94Q", "the URL is not canonical base64url"],
    ["sts1.abcdefghijklmnopq.aHR0cHM6Lx", "the URL is not canonical base64url"],
    ["sts1.abcdefghijklmnopq.__8", "the URL is not UTF-8"],
  ] as const) {
    it(`rejects ${token}`, () => {
      assert.throws(() => parseStsProof(token), {
        code: "STS_PROOF_MALFORMED",
        message: `The STS proof is malformed: ${reason}`,
      });
    });
  }
});

describe("isAwsStsHost", () => {
  it("knows the partitions' STS hosts and nothing else", () => {
    for (const host of [
      "sts.amazonaws.com",
      "sts.eu-west-1.amazonaws.com",
      "sts.us-gov-west-1.amazonaws.com",
      "sts.us-iso-east-1.c2s.ic.gov",
    ]) {
      assert.equal(isAwsStsHost(host), true, host);
    }
    for (const host of [
      "sts.amazonaws.com.evil",
      "evil.sts.amazonaws.com",
      "sts.evil.amazonaws.com",
      "s3.amazonaws.com",
      "sts.eu-west-1.amazonaws.com.",
    ]) {
      assert.equal(isAwsStsHost(host), false, host);
    }
  });
});

describe("normalizeAuthority", () => {
  it("lower-cases and drops the default port", () => {
    assert.equal(normalizeAuthority("App.Example.com:443", "https:"), "app.example.com");
    assert.equal(normalizeAuthority("app.example.com:80", "http:"), "app.example.com");
    assert.equal(normalizeAuthority("127.0.0.1:3000", "http:"), "127.0.0.1:3000");
    assert.equal(normalizeAuthority("[::1]:8080", "http:"), "[::1]:8080");
  });

  it("refuses what is not a plain authority", () => {
    for (const value of ["", "a/b", "user@host", "host:99999", "a b", "host?x"]) {
      assert.equal(normalizeAuthority(value, "https:"), undefined, value);
    }
  });
});
