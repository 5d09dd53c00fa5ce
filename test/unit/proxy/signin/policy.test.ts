import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LoginFlow } from "../../../../proxy/aws/types.js";
import { parseHostPattern } from "../../../../proxy/http/host-pattern.js";
import {
  createAppPolicy,
  decideOnResponse,
  sendsStoredSession,
  updatesStoredSession,
  type ResponseDecision,
  type ResponseFacts,
} from "../../../../proxy/signin/policy.js";
import type { RequestSite } from "../../../../proxy/signin/request-site.js";

const NOT_NAMED = "the app is not one of the hosts the proxy signs in to";
const CROSS_SITE = "another site's page sent this request; the proxy does not sign in for it";
const WEBSOCKET_REDIRECT = "the redirect login flow cannot take a websocket handshake to /auth";

const base: ResponseFacts = {
  challenged: true,
  site: "same-site",
  signsInTo: true,
  loginFlow: "proxy",
  replayable: true,
  upgrade: false,
};

describe("decideOnResponse (the one sign-in decision)", () => {
  const table: readonly (readonly [string, Partial<ResponseFacts>, ResponseDecision])[] = [
    ["no challenge: relay", { challenged: false }, { action: "relay" }],
    [
      "no challenge from another site's page: relay",
      { challenged: false, site: "cross-site-subrequest" },
      { action: "relay" },
    ],
    ["a same-site challenge: sign in and replay", {}, { action: "sign-in" }],
    ["a same-site websocket challenge: sign in and replay", { upgrade: true }, { action: "sign-in" }],
    [
      "a cross-site navigation (a link followed): sign in, as SameSite=Lax would",
      { site: "cross-site-navigation" },
      { action: "sign-in" },
    ],
    [
      "another site's subrequest: relay the challenge untouched",
      { site: "cross-site-subrequest" },
      { action: "relay", passedThrough: CROSS_SITE },
    ],
    [
      "another site's websocket: relay the challenge untouched",
      { site: "cross-site-subrequest", upgrade: true },
      { action: "relay", passedThrough: CROSS_SITE },
    ],
    [
      "another site's request with the redirect flow: relay, never a redirect with a token",
      { site: "cross-site-subrequest", loginFlow: "redirect" },
      { action: "relay", passedThrough: CROSS_SITE },
    ],
    [
      "an app not named by the hosts: relay untouched",
      { signsInTo: false },
      { action: "relay", passedThrough: NOT_NAMED },
    ],
    [
      "an app not named, even same-site with a websocket: relay untouched",
      { signsInTo: false, upgrade: true },
      { action: "relay", passedThrough: NOT_NAMED },
    ],
    ["the redirect flow: redirect to /auth", { loginFlow: "redirect" }, { action: "redirect" }],
    ["a body too big to keep: redirect to /auth", { replayable: false }, { action: "redirect" }],
    [
      "a websocket with the redirect flow: relay (a websocket cannot follow the 302)",
      { loginFlow: "redirect", upgrade: true },
      { action: "relay", passedThrough: WEBSOCKET_REDIRECT },
    ],
  ];
  for (const [what, facts, expected] of table) {
    it(what, () => assert.deepEqual(decideOnResponse({ ...base, ...facts }), expected));
  }

  it("never signs in or redirects for another site's subrequest, whatever else holds", () => {
    const flows: readonly LoginFlow[] = ["proxy", "redirect"];
    let checked = 0;
    for (const loginFlow of flows) {
      for (const replayable of [true, false]) {
        for (const upgrade of [true, false]) {
          for (const signsInTo of [true, false]) {
            const facts = {
              challenged: true,
              site: "cross-site-subrequest" as const,
              signsInTo,
              loginFlow,
              replayable,
              upgrade,
            };
            assert.equal(decideOnResponse(facts).action, "relay", JSON.stringify(facts));
            checked += 1;
          }
        }
      }
    }
    assert.equal(checked, 16);
  });
});

describe("the session the proxy holds", () => {
  const sites: readonly (readonly [RequestSite, boolean, boolean])[] = [
    ["same-site", true, true],
    ["cross-site-navigation", true, false],
    ["cross-site-subrequest", false, false],
  ];
  for (const [site, sends, updates] of sites) {
    it(`${site}: ${sends ? "goes with the request" : "stays behind"}, ${updates ? "is updated by" : "is not updated by"} the app's Set-Cookie`, () => {
      assert.deepEqual([sendsStoredSession(site), updatesStoredSession(site)], [sends, updates]);
    });
  }
});

describe("createAppPolicy (which app may receive which proof)", () => {
  const named = createAppPolicy({
    signIn: [parseHostPattern("*.corp.example.com"), parseHostPattern("10.0.0.5:8443")],
    kms: [parseHostPattern("reports.corp.example.com"), parseHostPattern("[::1]:3000")],
  });
  const table: readonly (readonly [string, { hostname: string; port: number }, boolean])[] = [
    ["a subdomain the hosts name", { hostname: "wiki.corp.example.com", port: 80 }, true],
    ["a host and port the hosts name", { hostname: "10.0.0.5", port: 8443 }, true],
    ["that host on another port", { hostname: "10.0.0.5", port: 443 }, false],
    ["another site", { hostname: "evil.example", port: 80 }, false],
  ];
  for (const [what, target, expected] of table) {
    it(`signs in to ${what}: ${expected}`, () => assert.equal(named.signsInTo(target), expected));
  }

  const kmsTable: readonly (readonly [string, { host: string; scheme?: "http" | "https" }, boolean])[] = [
    ["an app named for KMS", { host: "reports.corp.example.com" }, true],
    ["an app named for KMS, over https", { host: "reports.corp.example.com", scheme: "https" }, true],
    ["an IPv6 app named with its port", { host: "[::1]:3000" }, true],
    ["that IPv6 app on another port", { host: "[::1]:3001" }, false],
    ["an app named for signing in only (STS)", { host: "wiki.corp.example.com" }, false],
    ["an app nobody named", { host: "evil.example" }, false],
    ["an authority that does not parse", { host: "bad host" }, false],
  ];
  for (const [what, target, expected] of kmsTable) {
    it(`gives a KMS proof to ${what}: ${expected}`, () =>
      assert.equal(named.mayReceiveKmsProof(target), expected));
  }

  it("with every app named (reverse mode's upstreams), signs in and gives either proof to each", () => {
    const every = createAppPolicy({ signIn: "every app", kms: "every app" });
    assert.deepEqual(
      [
        every.signsInTo({ hostname: "evil.example", port: 80 }),
        every.mayReceiveKmsProof({ host: "evil.example" }),
      ],
      [true, true],
    );
  });
});
