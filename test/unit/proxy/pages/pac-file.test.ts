import assert from "node:assert/strict";
import { describe, it } from "node:test";
import vm from "node:vm";
import { parseHostPattern } from "../../../../proxy/http/host-pattern.js";
import { pacContentType, renderPacFile } from "../../../../proxy/pages/pac-file.js";

type FindProxyForURL = (url: string, host: string) => string;

/** Loads PAC text the way a browser does: a script in a bare context, then calls FindProxyForURL. */
function loadPac(text: string): FindProxyForURL {
  // An empty context: no shExpMatch, dnsResolve or other PAC helpers, proving the file needs none.
  const context = vm.createContext({});
  vm.runInContext(text, context, { filename: "proxy.pac" });
  const find: unknown = vm.runInContext("FindProxyForURL", context);
  assert.equal(typeof find, "function");
  return find as FindProxyForURL;
}

const proxy = "PROXY 127.0.0.1:8080";

describe("renderPacFile", () => {
  describe("with --host patterns", () => {
    const text = renderPacFile({
      proxyAddress: "127.0.0.1:8080",
      hostPatterns: [
        "*.corp.example.com",
        "app.example.com",
        "admin.example.com:8443",
        "10.0.0.5",
        "[fd00::5]:8443",
      ].map(parseHostPattern),
    });
    const find = loadPac(text);
    const table: [url: string, host: string, expected: string][] = [
      ["https://app.corp.example.com/", "app.corp.example.com", proxy],
      ["https://a.b.corp.example.com/", "a.b.corp.example.com", proxy],
      ["http://app.corp.example.com/x?y", "app.corp.example.com", proxy],
      ["https://App.Corp.Example.com./", "App.Corp.Example.com.", proxy],
      ["https://corp.example.com/", "corp.example.com", "DIRECT"],
      ["https://evilcorp.example.com/", "evilcorp.example.com", "DIRECT"],
      ["https://corp.example.com.evil.net/", "corp.example.com.evil.net", "DIRECT"],
      ["https://app.example.com/", "app.example.com", proxy],
      ["https://app.example.com:9999/", "app.example.com", proxy],
      ["https://x.app.example.com/", "x.app.example.com", "DIRECT"],
      ["https://admin.example.com:8443/", "admin.example.com", proxy],
      ["https://admin.example.com/", "admin.example.com", "DIRECT"],
      ["http://admin.example.com/", "admin.example.com", "DIRECT"],
      ["https://user:pw@admin.example.com:8443/", "admin.example.com", proxy],
      ["http://10.0.0.5/", "10.0.0.5", proxy],
      ["http://10.0.0.50/", "10.0.0.50", "DIRECT"],
      ["https://[fd00::5]:8443/", "fd00::5", proxy],
      ["https://[fd00::5]:8443/", "[fd00::5]", proxy],
      ["https://[fd00::5]/", "fd00::5", "DIRECT"],
      ["https://www.example.org/", "www.example.org", "DIRECT"],
      ["http://www.example.org/", "www.example.org", "DIRECT"],
    ];
    for (const [url, host, expected] of table) {
      it(`routes ${url} (host ${host}) ${expected === "DIRECT" ? "DIRECT" : "through the proxy"}`, () => {
        assert.equal(find(url, host), expected);
      });
    }

    it("uses the scheme's default port when the URL has none (443 for https, 80 for http)", () => {
      const find443 = loadPac(
        renderPacFile({
          proxyAddress: "127.0.0.1:8080",
          hostPatterns: [parseHostPattern("app.example.com:443")],
        }),
      );
      assert.equal(find443("https://app.example.com/", "app.example.com"), proxy);
      assert.equal(find443("wss://app.example.com/", "app.example.com"), proxy);
      assert.equal(find443("http://app.example.com/", "app.example.com"), "DIRECT");
      assert.equal(find443("ftp://app.example.com/", "app.example.com"), "DIRECT");
    });

    it("never looks up DNS or the machine's addresses", () => {
      for (const name of [
        "dnsResolve",
        "isInNet",
        "myIpAddress",
        "isResolvable",
        "dnsDomainIs",
        "shExpMatch",
      ]) {
        assert.equal(text.includes(name), false, name);
      }
    });
  });

  describe("with no patterns", () => {
    const find = loadPac(renderPacFile({ proxyAddress: "127.0.0.1:8080" }));
    it("sends every http:// URL through the proxy", () => {
      assert.equal(find("http://app.internal:3000/", "app.internal"), proxy);
      assert.equal(find("HTTP://www.example.org/", "www.example.org"), proxy);
    });
    it("sends everything else DIRECT", () => {
      assert.equal(find("https://app.internal/", "app.internal"), "DIRECT");
      assert.equal(find("wss://app.internal/", "app.internal"), "DIRECT");
      assert.equal(find("ftp://files.internal/", "files.internal"), "DIRECT");
    });
  });

  it("names an IPv6 proxy address as given", () => {
    const find = loadPac(renderPacFile({ proxyAddress: "[::1]:8080" }));
    assert.equal(find("http://a/", "a"), "PROXY [::1]:8080");
  });

  it("rejects a proxyAddress that is not HOST:PORT, so nothing can be injected into the script", () => {
    for (const proxyAddress of ["127.0.0.1", '127.0.0.1:8080"; alert(1); "', "http://127.0.0.1:8080", ""]) {
      assert.throws(() => renderPacFile({ proxyAddress }), {
        name: "TypeError",
        message: `renderPacFile: proxyAddress must be HOST:PORT or [IPV6]:PORT (got ${JSON.stringify(proxyAddress)})`,
      });
    }
  });

  it("emits pattern values as string literals even if a pattern was not validated", () => {
    const hostile = { kind: "exact", host: 'x"];return "proxy evil:1";//\u2028', port: undefined } as const;
    const text = renderPacFile({ proxyAddress: "127.0.0.1:8080", hostPatterns: [hostile] });
    assert.equal(text.includes("\u2028"), false);
    const find = loadPac(text);
    assert.equal(find("https://other/", "other"), "DIRECT");
    assert.equal(find("https://h/", hostile.host), proxy);
  });

  it("exports the PAC Content-Type", () => {
    assert.equal(pacContentType, "application/x-ns-proxy-autoconfig");
  });
});
