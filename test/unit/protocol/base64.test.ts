import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeStrictBase64, encodeBase64 } from "../../../protocol/index.js";

describe("decodeStrictBase64", () => {
  it("decodes canonical padded base64", () => {
    assert.equal(decodeStrictBase64("aGk=")?.toString(), "hi");
    assert.equal(decodeStrictBase64("")?.length, 0);
  });

  for (const value of ["aGk", "aGl=", "a Gk=", "aGk=\n", "aG-k", "aG_k", "aGk==", "====", "aGk=aGk="]) {
    it(`rejects ${JSON.stringify(value)}`, () => {
      assert.equal(decodeStrictBase64(value), undefined);
    });
  }

  it("round-trips arbitrary bytes", () => {
    const bytes = new Uint8Array([0, 255, 62, 63, 1, 2, 3]);
    assert.deepEqual(new Uint8Array(decodeStrictBase64(encodeBase64(bytes)) ?? []), bytes);
  });
});
