import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLogLine } from "../../../protocol/index.js";

const epoch = new Date(0);

describe("formatLogLine", () => {
  it("writes time, event and bare fields", () => {
    assert.equal(
      formatLogLine(
        "login",
        { host: "app:3000", identity: "arn:aws:iam::111122223333:user/demo", ok: true },
        epoch,
      ),
      "1970-01-01T00:00:00.000Z login host=app:3000 identity=arn:aws:iam::111122223333:user/demo ok=true",
    );
  });

  it("quotes values with spaces and leaves out undefined", () => {
    assert.equal(
      formatLogLine("e", { reason: "not allowed", skip: undefined }, epoch),
      '1970-01-01T00:00:00.000Z e reason="not allowed"',
    );
  });

  it("keeps a hostile value on one line", () => {
    const line = formatLogLine("e", { path: "/x\n1970-01-01T00:00:00.000Z login outcome=ok" }, epoch);
    assert.equal(line.split("\n").length, 1);
    assert.equal(line, '1970-01-01T00:00:00.000Z e path="/x\\n1970-01-01T00:00:00.000Z login outcome=ok"');
  });
});
