import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAllowedLocalHost } from "../../../../proxy/http/allowed-local-host.js";

describe("isAllowedLocalHost", () => {
  const bound = new Set(["devbox.lan"]);
  const table: readonly [string | undefined, boolean][] = [
    ["localhost:8080", true],
    ["LOCALHOST:8080", true],
    ["localhost.:8080", true],
    ["localhost", true],
    ["app.localhost:8080", true],
    ["127.0.0.1:8080", true],
    ["127.0.0.2", true],
    ["[::1]:8080", true],
    ["192.168.1.20:8080", true],
    ["devbox.lan:8080", true],
    [undefined, true],
    ["attacker.example:8080", false],
    ["localhost.attacker.example", false],
    ["attacker-localhost:8080", false],
    ["[::1", false],
    ["localhost:8080/evil", false],
    ["user@localhost:8080", false],
    ["", false],
  ];
  for (const [host, allowed] of table) {
    it(`${allowed ? "serves" : "refuses"} Host ${JSON.stringify(host)}`, () => {
      assert.equal(isAllowedLocalHost(host, bound), allowed);
    });
  }
});
