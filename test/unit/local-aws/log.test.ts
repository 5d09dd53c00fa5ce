import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLogLine } from "../../../local-aws/log.js";

describe("formatLogLine", () => {
  const time = new Date("2024-01-02T03:04:05.678Z");

  it("writes time, event and key=value pairs on one line, skipping undefined", () => {
    assert.equal(
      formatLogLine(time, "aws-call", {
        action: "kms:Encrypt",
        principal: "arn:aws:iam::1:user/a",
        key: undefined,
        status: 200,
      }),
      "2024-01-02T03:04:05.678Z aws-call action=kms:Encrypt principal=arn:aws:iam::1:user/a status=200",
    );
  });

  it("quotes values with spaces, quotes, equals signs, newlines or nothing", () => {
    assert.equal(
      formatLogLine(time, "e", { a: "two words", b: 'say "hi"', c: "k=v", d: "line\nbreak", e: "" }),
      '2024-01-02T03:04:05.678Z e a="two words" b="say \\"hi\\"" c="k=v" d="line\\nbreak" e=""',
    );
  });
});
