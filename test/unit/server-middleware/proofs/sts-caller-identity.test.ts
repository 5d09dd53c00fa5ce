import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { labelError } from "../../../../server-middleware/proofs/aws-errors.js";
import { IamAuthError, type StsFetch } from "../../../../server-middleware/index.js";
import { fetchCallerIdentity } from "../../../../server-middleware/proofs/sts-caller-identity.js";
import { ACCOUNT_ID, ALICE_ARN } from "../fake-aws.js";
import { ALICE_USER_ID, errorResponse, identityResponse } from "../fake-sts-endpoint.js";

const url = new URL("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity");
const call = (fetch: StsFetch, timeoutMs = 5000) =>
  fetchCallerIdentity({ url, serverId: "app.test:3000", nonce: "n".repeat(76), fetch, timeoutMs });
const answer =
  (response: () => Response): StsFetch =>
  () =>
    Promise.resolve(response());

async function assertFails(
  fetch: StsFetch,
  code: string,
  status: number,
  message: string,
  timeoutMs?: number,
): Promise<IamAuthError> {
  let caught: IamAuthError | undefined;
  await assert.rejects(call(fetch, timeoutMs), (error: unknown) => {
    assert.ok(error instanceof IamAuthError);
    assert.equal(error.code, code);
    assert.equal(error.status, status);
    assert.equal(error.message, message);
    caught = error;
    return true;
  });
  assert.ok(caught !== undefined);
  return caught;
}

describe("fetchCallerIdentity", () => {
  it("reads the identity from AWS's JSON reply", async () => {
    const identity = await call(
      answer(() => identityResponse({ Arn: ALICE_ARN, Account: ACCOUNT_ID, UserId: ALICE_USER_ID })),
    );
    assert.deepEqual(identity, { arn: ALICE_ARN, account: ACCOUNT_ID, userId: ALICE_USER_ID });
  });

  describe("when STS answers 200 with something that is not an identity: 502 STS_BAD_RESPONSE", () => {
    const cases: [string, () => Response, string][] = [
      ["XML", () => new Response("<GetCallerIdentityResponse/>"), "not JSON"],
      [
        "no result",
        () => Response.json({ GetCallerIdentityResponse: {} }),
        "Arn, Account or UserId is missing",
      ],
      [
        "a number for Account",
        () => identityResponse({ Arn: ALICE_ARN, Account: 111122223333, UserId: ALICE_USER_ID }),
        "Arn, Account or UserId is missing",
      ],
      [
        "an empty UserId",
        () => identityResponse({ Arn: ALICE_ARN, Account: ACCOUNT_ID, UserId: "" }),
        "Arn, Account or UserId is missing",
      ],
      [
        "an ARN that does not parse",
        () => identityResponse({ Arn: "alice", Account: ACCOUNT_ID, UserId: "X" }),
        "the ARN does not parse",
      ],
      [
        "an ARN of another account than Account",
        () => identityResponse({ Arn: "arn:aws:iam::444455556666:user/a", Account: ACCOUNT_ID, UserId: "X" }),
        "the ARN is not in the account it reports",
      ],
    ];
    for (const [name, response, why] of cases) {
      it(name, async () => {
        await assertFails(
          answer(response),
          "STS_BAD_RESPONSE",
          502,
          `AWS STS returned an unreadable identity: ${why}`,
        );
      });
    }
  });

  it("when STS redirects: 502 STS_BAD_RESPONSE, not followed", async () => {
    await assertFails(
      answer(() => new Response(null, { status: 302, headers: { location: "https://evil.example/" } })),
      "STS_BAD_RESPONSE",
      502,
      "AWS STS answered with a redirect (HTTP 302); it was not followed",
    );
  });

  describe("when STS refuses the request (4xx): 403 STS_PROOF_REFUSED naming AWS's code", () => {
    for (const code of ["SignatureDoesNotMatch", "ExpiredToken", "InvalidClientTokenId", "AccessDenied"]) {
      it(code, async () => {
        await assertFails(
          answer(() => errorResponse(403, code)),
          "STS_PROOF_REFUSED",
          403,
          `AWS STS rejected the proof (${code})`,
        );
      });
    }
    it("in the XML form", async () => {
      const xml =
        "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>";
      await assertFails(
        answer(() => new Response(xml, { status: 403 })),
        "STS_PROOF_REFUSED",
        403,
        "AWS STS rejected the proof (SignatureDoesNotMatch)",
      );
    });
    it("without a readable code, the status instead (a hostile code is not echoed)", async () => {
      await assertFails(
        answer(() => new Response("", { status: 400 })),
        "STS_PROOF_REFUSED",
        403,
        "AWS STS rejected the proof (HTTP 400)",
      );
      await assertFails(
        answer(() => errorResponse(403, "Bad\nCode")),
        "STS_PROOF_REFUSED",
        403,
        "AWS STS rejected the proof (HTTP 403)",
      );
    });
  });

  it("when STS throttles (Throttling, or 429): 503 STS_THROTTLED", async () => {
    const message = "AWS STS is throttling requests; try again shortly";
    await assertFails(
      answer(() => errorResponse(400, "Throttling")),
      "STS_THROTTLED",
      503,
      message,
    );
    await assertFails(
      answer(() => new Response("", { status: 429 })),
      "STS_THROTTLED",
      503,
      message,
    );
  });

  it("when STS fails (5xx): 502 STS_UNAVAILABLE", async () => {
    await assertFails(
      answer(() => errorResponse(500, "InternalFailure")),
      "STS_UNAVAILABLE",
      502,
      "AWS STS failed (HTTP 500); try again later",
    );
  });

  it("when STS cannot be reached: 502 STS_UNAVAILABLE with the network error as cause", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const error = await assertFails(
      () => Promise.reject(new TypeError("fetch failed", { cause: refused })),
      "STS_UNAVAILABLE",
      502,
      "AWS STS could not be reached or failed; try again later",
    );
    assert.equal(labelError(error.cause), "ECONNREFUSED");
  });

  it("when STS does not answer within timeoutMs: 502 STS_UNAVAILABLE", async () => {
    let aborted = false;
    const hanging: StsFetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal.addEventListener("abort", () => {
          aborted = true;
          reject(init.signal.reason instanceof Error ? init.signal.reason : new Error("aborted"));
        });
      });
    // AbortSignal.timeout's timer does not keep the process alive (a server's sockets do); this does.
    const keepAlive = setTimeout(() => undefined, 5000);
    try {
      await assertFails(hanging, "STS_UNAVAILABLE", 502, "AWS STS did not answer within 100 ms", 100);
    } finally {
      clearTimeout(keepAlive);
    }
    assert.ok(aborted, "the request was aborted");
  });

  it("when the answer is larger than 64 KiB: 502 STS_BAD_RESPONSE", async () => {
    await assertFails(
      answer(() => new Response("x".repeat(65 * 1024))),
      "STS_BAD_RESPONSE",
      502,
      "AWS STS answered with more than 65536 bytes",
    );
  });
});
