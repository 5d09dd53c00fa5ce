import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBindAddress, type BindAddress } from "../../../../../proxy/http/bind-address.js";
import { parseUpstreamFlag, resolveUpstreams } from "../../../../../proxy/cli/run/upstream-flag.js";

const shape = "must be an http(s) URL with no path, optionally followed by =[HOST]:PORT";
const upstream = (...value: string[]) => ({ value, name: "--upstream" });
const bind = (value: string) => ({ value: parseBindAddress(value), name: "--bind" });
const resolve = (values: readonly string[], bound?: string) => {
  const problems: string[] = [];
  const upstreams = resolveUpstreams(
    upstream(...values),
    bound === undefined ? undefined : bind(bound),
    problems,
  );
  return { upstreams: upstreams.map((each) => [each.origin.href, each.bind]), problems };
};
const loopback = (port: number): BindAddress => ({ kind: "loopback", port });

describe("parseUpstreamFlag", () => {
  const accepted: readonly [string, string, BindAddress | undefined][] = [
    ["https://app.internal.example.com", "https://app.internal.example.com/", undefined],
    ["https://app.internal.example.com/", "https://app.internal.example.com/", undefined],
    ["HTTPS://App.Internal.Example.com:443", "https://app.internal.example.com/", undefined],
    ["https://app.example.com:8443=:8081", "https://app.example.com:8443/", loopback(8081)],
    [
      "http://10.0.0.5:3000=127.0.0.1:9000",
      "http://10.0.0.5:3000/",
      { kind: "address", host: "127.0.0.1", port: 9000 },
    ],
    ["https://[::1]:8443=[::1]:0", "https://[::1]:8443/", { kind: "address", host: "::1", port: 0 }],
  ];
  for (const [value, origin, address] of accepted) {
    it(`reads ${JSON.stringify(value)}`, () => {
      const parsed = parseUpstreamFlag(value);
      assert.deepEqual([parsed.origin.href, parsed.bind], [origin, address]);
    });
  }

  const refused: readonly [string, string][] = [
    ["app.example.com", "no scheme"],
    ["ftp://app.example.com", "another scheme"],
    ["https:app.example.com", "no slashes"],
    ["https://app.example.com/app", "a path"],
    ["https://app.example.com/?tenant=1", "a query"],
    ["https://app.example.com/#top", "a fragment"],
    ["https://user:pw@app.example.com", "credentials"],
    ["https://", "no host"],
    ["https://app.example.com=8081", "a port without its colon"],
    ["https://app.example.com=:99999", "a port out of range"],
    ["https://app.example.com=::1:8081", "an unbracketed IPv6 address"],
    ["", "nothing"],
  ];
  for (const [value, what] of refused) {
    it(`refuses ${what}: ${JSON.stringify(value)}`, () => {
      assert.throws(() => parseUpstreamFlag(value), {
        name: "TypeError",
        message: `${shape} (got ${JSON.stringify(value)})`,
      });
    });
  }
});

describe("resolveUpstreams", () => {
  describe("when one app is given", () => {
    it("serves it on :8080 without --bind", () => {
      assert.deepEqual(resolve(["https://app.example.com"]), {
        upstreams: [["https://app.example.com/", loopback(8080)]],
        problems: [],
      });
    });
    it("serves it on --bind", () => {
      assert.deepEqual(resolve(["https://app.example.com"], "127.0.0.1:9000").upstreams, [
        ["https://app.example.com/", { kind: "address", host: "127.0.0.1", port: 9000 }],
      ]);
    });
    it("serves it on its own address", () => {
      assert.deepEqual(resolve(["https://app.example.com=:8081"]).upstreams, [
        ["https://app.example.com/", loopback(8081)],
      ]);
    });
    it("refuses a --bind that nothing uses", () => {
      assert.deepEqual(resolve(["https://app.example.com=:8081"], ":9000"), {
        upstreams: [],
        problems: [
          "--bind is not used: every --upstream value names its own local address; leave out one of them",
        ],
      });
    });
  });

  describe("when several apps are given", () => {
    it("serves each on its own address, in order", () => {
      assert.deepEqual(resolve(["https://a.example.com=:8081", "https://b.example.com=:8082"]), {
        upstreams: [
          ["https://a.example.com/", loopback(8081)],
          ["https://b.example.com/", loopback(8082)],
        ],
        problems: [],
      });
    });
    it("refuses one without its own address, even with --bind", () => {
      assert.deepEqual(resolve(["https://a.example.com", "https://b.example.com=:8082"], ":8081"), {
        upstreams: [],
        problems: [
          '--upstream "https://a.example.com" needs its own local address, as in https://a.example.com=:8081, when --upstream names several apps',
        ],
      });
    });
    it("reports every problem at once", () => {
      assert.deepEqual(
        resolve([
          "https://a.example.com=:8081",
          "https://A.example.com:443=:8082",
          "https://c.example.com/app=:8083",
          "https://d.example.com=:8081",
        ]).problems,
        [
          `--upstream ${shape} (got "https://c.example.com/app=:8083")`,
          '--upstream names a.example.com twice ("https://a.example.com=:8081" and "https://A.example.com:443=:8082")',
          '--upstream local port 8081 is given twice ("https://a.example.com=:8081" and "https://d.example.com=:8081")',
        ],
      );
    });
    it("allows port 0 (any free port) more than once", () => {
      const resolved = resolve(["https://a.example.com=:0", "https://b.example.com=:0"]);
      assert.deepEqual(resolved.problems, []);
      assert.equal(resolved.upstreams.length, 2);
    });
  });
});
