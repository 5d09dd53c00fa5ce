import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extraLoopbackHosts } from "../../../bench/loopback-hosts.js";

describe("extraLoopbackHosts", () => {
  it("numbers the hosts from 127.0.0.2, leaving 127.0.0.1 to the app's main address", () => {
    assert.deepEqual(extraLoopbackHosts(3), ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
  });

  it("stops at 127.0.0.251", () => {
    assert.equal(extraLoopbackHosts(250).at(-1), "127.0.0.251");
    assert.throws(
      () => extraLoopbackHosts(251),
      new TypeError("extraLoopbackHosts: count must be an integer from 0 to 250 (got 251)"),
    );
  });
});
