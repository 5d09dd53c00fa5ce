import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import {
  checkIdentityHeaderNames,
  createIdentityHeaderStripper,
  DEFAULT_IDENTITY_HEADERS,
  setIdentityHeaders,
} from "../../../gateway/identity-headers.js";

describe("createIdentityHeaderStripper", () => {
  const strip = createIdentityHeaderStripper({ ...DEFAULT_IDENTITY_HEADERS, user: "Remote-User" });

  it("removes the configured names and the whole X-Iam-Auth-* namespace, with _ for -, and keeps the rest", () => {
    const headers: IncomingHttpHeaders = {
      "remote-user": "a",
      remote_user: "b",
      "x-iam-auth-arn": "c",
      x_iam_auth_account: "d",
      "x-iam-auth-future": "e",
      "x-forwarded-user": "kept: not configured here",
      accept: "*/*",
    };
    assert.deepEqual(strip(headers).sort(), [
      "remote-user",
      "remote_user",
      "x-iam-auth-arn",
      "x-iam-auth-future",
      "x_iam_auth_account",
    ]);
    assert.deepEqual(headers, { "x-forwarded-user": "kept: not configured here", accept: "*/*" });
  });
});

describe("setIdentityHeaders", () => {
  it("sets each header from the identity and the assertion", () => {
    const headers: IncomingHttpHeaders = {};
    setIdentityHeaders(
      headers,
      DEFAULT_IDENTITY_HEADERS,
      { arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333", userId: "AIDA1" },
      "jwt",
    );
    assert.deepEqual(headers, {
      "x-forwarded-user": "arn:aws:iam::111122223333:user/alice",
      "x-iam-auth-arn": "arn:aws:iam::111122223333:user/alice",
      "x-iam-auth-account": "111122223333",
      "x-iam-auth-user-id": "AIDA1",
      "x-iam-auth-assertion": "jwt",
    });
  });
});

describe("checkIdentityHeaderNames", () => {
  it("reports a name that is not a header token and two options naming the same header", () => {
    const problems: string[] = [];
    checkIdentityHeaderNames(
      { ...DEFAULT_IDENTITY_HEADERS, user: "X User", account: "x_iam_auth_arn" },
      "identityHeaders",
      problems,
    );
    assert.deepEqual(problems, [
      'identityHeaders.user: must be an HTTP header name such as X-Iam-Auth-Arn (got "X User")',
      "identityHeaders.account: the same header as identityHeaders.arn (x_iam_auth_arn)",
    ]);
  });
});
