import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explainRejectedKey, type SignInRefusal } from "../../../../proxy/signin/auth-refusal.js";

const advice =
  "AWS refused the key the proxy signed with: check the secret access key (aws_secret_access_key) " +
  'of profile "work" in the shared credentials file — `aws configure --profile work` sets it — ' +
  "and that this computer's clock is right, then restart the proxy (it keeps the credentials it found)";
const work = { source: { kind: "profile", profile: "work" }, identity: undefined } as const;

describe("explainRejectedKey", () => {
  it("the app's one line naming SignatureDoesNotMatch: the line, then which key to check", () => {
    const refusal: SignInRefusal = {
      kind: "refused",
      status: 403,
      message: "AWS STS rejected the proof (SignatureDoesNotMatch)",
    };
    assert.deepEqual(explainRejectedKey(refusal, work), {
      kind: "refused",
      status: 403,
      message: `AWS STS rejected the proof (SignatureDoesNotMatch); ${advice}`,
      page: undefined,
    });
  });

  it("the app's HTML page that names it: the proxy's line instead of the page, which blames the proof", () => {
    const body = Buffer.from(
      "<title>Your sign-in proof was not accepted</title><p><strong>Reason:</strong> AWS STS rejected the proof (SignatureDoesNotMatch)</p>",
    );
    const refusal: SignInRefusal = {
      kind: "refused",
      status: 403,
      message: "Your sign-in proof was not accepted",
      page: { status: 403, headers: [["Content-Type", "text/html"]], body, accept: "text/html" },
    };
    const explained = explainRejectedKey(refusal, work);
    assert.equal(explained.page, undefined);
    assert.equal(explained.message, `Your sign-in proof was not accepted (SignatureDoesNotMatch); ${advice}`);
  });

  it("regression guard: credentials AWS already accepted from the proxy itself are not blamed", () => {
    const refusal: SignInRefusal = {
      kind: "refused",
      status: 403,
      message: "AWS STS rejected the proof (SignatureDoesNotMatch)",
    };
    const identity = { account: "111122223333", arn: "arn:aws:iam::111122223333:user/demo", userId: "AIDA" };
    assert.equal(explainRejectedKey(refusal, { ...work, identity }), refusal);
  });

  it("any other refusal is returned as it is", () => {
    const refusal: SignInRefusal = {
      kind: "refused",
      status: 403,
      message: "The identity arn:aws:iam::111122223333:user/bob is not allowed to use this app",
    };
    assert.equal(explainRejectedKey(refusal, work), refusal);
  });
});
