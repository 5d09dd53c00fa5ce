import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import {
  SigV4Error,
  verifySigV4,
  type SignedHttpRequest,
  type SigningSecret,
} from "../../../local-aws/sigv4-verify.js";

const accessKeyId = "AKIAUNITTEST00000001";
const secretAccessKey = "unit-test-secret-key-not-real-000001";
const signingDate = new Date("2024-05-06T07:08:09Z");
const minutes = (n: number): Date => new Date(signingDate.getTime() + n * 60_000);

interface SignOptions {
  readonly secret?: string;
  readonly service?: string;
  readonly sessionToken?: string;
  readonly applyChecksum?: boolean;
}

function signer(options: SignOptions = {}): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: options.secret ?? secretAccessKey,
      ...(options.sessionToken === undefined ? {} : { sessionToken: options.sessionToken }),
    },
    region: "us-east-1",
    service: options.service ?? "sts",
    sha256: Hash.bind(null, "sha256"),
    ...(options.applyChecksum === undefined ? {} : { applyChecksum: options.applyChecksum }),
  });
}

function stsPost(): HttpRequest {
  return new HttpRequest({
    method: "POST",
    protocol: "http:",
    hostname: "127.0.0.1",
    port: 4566,
    path: "/",
    query: { extra: "1" },
    headers: {
      host: "127.0.0.1:4566",
      "content-type": "application/x-www-form-urlencoded",
      "x-custom": "signed value",
    },
    body: "Action=GetCallerIdentity&Version=2011-06-15",
  });
}

/** The signed request as local-aws receives it: lower-case header names, bytes for the body. */
function received(request: {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string | string[] | null>;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}): SignedHttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== null) query[name] = typeof value === "string" ? value : [...value];
  }
  const body = typeof request.body === "string" ? Buffer.from(request.body) : Buffer.alloc(0);
  return { method: request.method, path: request.path, query, headers, body };
}

async function signed(options: SignOptions = {}): Promise<SignedHttpRequest> {
  return received(await signer(options).sign(stsPost(), { signingDate }));
}

async function presigned(expiresIn = 60, options: SignOptions = {}): Promise<SignedHttpRequest> {
  const request = new HttpRequest({
    method: "GET",
    protocol: "http:",
    hostname: "127.0.0.1",
    path: "/",
    query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
    headers: { host: "127.0.0.1:4566", "x-iam-auth-server-id": "app.example" },
  });
  return received(await signer(options).presign(request, { signingDate, expiresIn }));
}

function verify(request: SignedHttpRequest, now = signingDate, secret?: SigningSecret) {
  const known: SigningSecret = secret ?? { secretAccessKey };
  return verifySigV4(request, {
    service: "sts",
    now,
    findSecret: (id) => (id === accessKeyId ? known : undefined),
  });
}

function without<T>(record: Readonly<Record<string, T>>, name: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => key !== name));
}

async function rejects(promise: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SigV4Error, `expected SigV4Error, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === "string") assert.equal(error.message, message);
    else if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

const mismatch =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

describe("verifySigV4", () => {
  describe("when the Authorization header carries the signature", () => {
    it("accepts a request signed by SignatureV4 and says who signed it", async () => {
      const result = await verify(await signed());
      assert.equal(result.accessKeyId, accessKeyId);
      assert.equal(result.region, "us-east-1");
      assert.equal(result.form, "header");
      assert.equal(result.signingDate.toISOString(), signingDate.toISOString());
    });

    it("accepts a request without x-amz-content-sha256 (the body is hashed by the signer)", async () => {
      const request = await signed({ applyChecksum: false });
      assert.equal(request.headers["x-amz-content-sha256"], undefined);
      await verify(request);
    });

    it("ignores headers that were not signed", async () => {
      const request = await signed();
      await verify({
        ...request,
        headers: { ...request.headers, "user-agent": "changed", "x-unsigned": "1" },
      });
    });

    it("rejects a changed signed header", async () => {
      const request = await signed();
      await rejects(
        verify({ ...request, headers: { ...request.headers, "x-custom": "other" } }),
        "SignatureMismatch",
        mismatch,
      );
    });

    it("rejects a signed header that was removed", async () => {
      const request = await signed();
      const headers = without(request.headers, "x-custom");
      await rejects(verify({ ...request, headers }), "SignatureMismatch", mismatch);
    });

    it("rejects a changed body whose declared hash no longer matches", async () => {
      const request = await signed();
      await rejects(
        verify({ ...request, body: Buffer.from("Action=AssumeRole&Version=2011-06-15") }),
        "SignatureMismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    });

    it("rejects a changed body when no hash was declared", async () => {
      const request = await signed({ applyChecksum: false });
      await rejects(
        verify({ ...request, body: Buffer.from("Action=AssumeRole") }),
        "SignatureMismatch",
        mismatch,
      );
    });

    it("rejects a changed query string", async () => {
      const request = await signed();
      await rejects(verify({ ...request, query: { extra: "2" } }), "SignatureMismatch", mismatch);
    });

    it("rejects a signature made with another secret", async () => {
      await rejects(
        verify(await signed({ secret: "some-other-secret-key-000000000001" })),
        "SignatureMismatch",
        mismatch,
      );
    });

    it("rejects an unknown access key before looking at the signature", async () => {
      const request = await signed();
      const result = verifySigV4(request, { service: "sts", now: signingDate, findSecret: () => undefined });
      await rejects(result, "UnknownAccessKey", "The security token included in the request is invalid.");
    });

    it("rejects a credential scope dated another day than X-Amz-Date", async () => {
      const request = await signed();
      const authorization = (request.headers.authorization ?? "").replace("/20240506/", "/20240505/");
      await rejects(
        verify({ ...request, headers: { ...request.headers, authorization } }),
        "SignatureMismatch",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
          "'20240505' != '20240506', from '20240506T070809Z'.",
      );
    });

    it("rejects a signature scoped to another service", async () => {
      await rejects(
        verify(await signed({ service: "kms" })),
        "SignatureMismatch",
        "Credential should be scoped to correct service: 'sts'.",
      );
    });

    it("accepts a request 14 minutes old but rejects one 16 minutes old", async () => {
      const request = await signed();
      await verify(request, minutes(14));
      await rejects(
        verify(request, minutes(16)),
        "SignatureExpired",
        "Signature expired: 20240506T070809Z is now earlier than 20240506T070909Z (20240506T072409Z - 15 min.)",
      );
    });

    it("rejects a request dated more than 15 minutes in the future", async () => {
      await rejects(
        verify(await signed(), minutes(-16)),
        "SignatureExpired",
        /^Signature not yet current: 20240506T070809Z/,
      );
    });

    it("reports a missing Authorization header as missing authentication", async () => {
      const request = await signed();
      const headers = without(request.headers, "authorization");
      await rejects(
        verify({ ...request, headers }),
        "MissingAuthentication",
        "Request is missing Authentication Token",
      );
    });

    it("reports an Authorization header without Signature as incomplete", async () => {
      const request = await signed();
      const authorization = (request.headers.authorization ?? "").replace(/, Signature=.*$/, "");
      await rejects(
        verify({ ...request, headers: { ...request.headers, authorization } }),
        "IncompleteSignature",
        "Authorization header requires 'Signature' parameter.",
      );
    });
  });

  describe("when temporary credentials sign the request", () => {
    const sessionToken = "unit-test-session-token";
    const session = (expiresAt: Date): SigningSecret => ({ secretAccessKey, sessionToken, expiresAt });

    it("accepts the issued token before expiry", async () => {
      await verify(await signed({ sessionToken }), signingDate, session(minutes(5)));
    });

    it("rejects another token for that access key", async () => {
      await rejects(
        verify(await signed({ sessionToken: "forged-token" }), signingDate, session(minutes(5))),
        "InvalidSessionToken",
        "The security token included in the request is invalid.",
      );
    });

    it("rejects a request without the token", async () => {
      await rejects(verify(await signed(), signingDate, session(minutes(5))), "InvalidSessionToken");
    });

    it("rejects a token on a long-term key", async () => {
      await rejects(verify(await signed({ sessionToken })), "InvalidSessionToken");
    });

    it("rejects an expired session with a correct signature", async () => {
      await rejects(
        verify(await signed({ sessionToken }), signingDate, session(signingDate)),
        "ExpiredSessionToken",
        "The security token included in the request is expired",
      );
    });
  });

  describe("when the request is presigned", () => {
    it("accepts a presigned GetCallerIdentity with an extra signed header", async () => {
      const request = await presigned();
      assert.equal(request.query["X-Amz-SignedHeaders"], "host;x-iam-auth-server-id");
      const result = await verify(request, minutes(0.5));
      assert.equal(result.form, "presigned");
    });

    it("accepts a presigned request with a session token", async () => {
      const sessionToken = "presign-session-token";
      const request = await presigned(60, { sessionToken });
      await verify(request, signingDate, { secretAccessKey, sessionToken, expiresAt: minutes(5) });
    });

    it("rejects an altered extra signed header", async () => {
      const request = await presigned();
      const headers = { ...request.headers, "x-iam-auth-server-id": "evil.example" };
      await rejects(verify({ ...request, headers }), "SignatureMismatch", mismatch);
    });

    it("rejects an altered query parameter", async () => {
      const request = await presigned();
      await rejects(
        verify({ ...request, query: { ...request.query, Action: "AssumeRole" } }),
        "SignatureMismatch",
        mismatch,
      );
    });

    it("rejects a changed X-Amz-Expires (it is part of the signature)", async () => {
      const request = await presigned(60);
      await rejects(
        verify({ ...request, query: { ...request.query, "X-Amz-Expires": "900" } }),
        "SignatureMismatch",
        mismatch,
      );
    });

    it("rejects use after X-Amz-Expires", async () => {
      const request = await presigned(60);
      await verify(request, new Date(signingDate.getTime() + 60_000));
      await rejects(
        verify(request, new Date(signingDate.getTime() + 61_000)),
        "SignatureExpired",
        "Signature expired: 20240506T070809Z is now earlier than 20240506T070810Z (20240506T070910Z - 60 sec.)",
      );
    });

    it("rejects X-Amz-Expires outside 1..604800", async () => {
      const request = await presigned();
      for (const expires of ["0", "604801", "-1", "abc"]) {
        await rejects(
          verify({ ...request, query: { ...request.query, "X-Amz-Expires": expires } }),
          "IncompleteSignature",
          "X-Amz-Expires must be an integer from 1 to 604800.",
        );
      }
    });

    it("rejects a presigned URL without X-Amz-Credential", async () => {
      const request = await presigned();
      await rejects(
        verify({ ...request, query: without(request.query, "X-Amz-Credential") }),
        "IncompleteSignature",
        "AWS query-string parameters must include 'X-Amz-Credential'.",
      );
    });
  });
});
