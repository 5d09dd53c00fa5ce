import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readEnvironmentFlags } from "../../../../../proxy/cli/flags/env-flags.js";

const values = (env: Record<string, string>): unknown =>
  Object.fromEntries([...readEnvironmentFlags(env).values].map(([name, value]) => [name, value.value]));

describe("readEnvironmentFlags", () => {
  it("reads IAM_AUTH_PROXY_<FLAG> for --<flag>, and nothing else", () => {
    assert.deepEqual(
      values({ IAM_AUTH_PROXY_SOCKS_PROXY: "127.0.0.1:1080", AWS_REGION: "eu-west-1", HOME: "/h" }),
      {
        "socks-proxy": "127.0.0.1:1080",
      },
    );
  });
  it("splits a repeatable flag's value at commas, dropping empty items", () => {
    assert.deepEqual(
      values({ IAM_AUTH_PROXY_UPSTREAM_CA: "/a.pem, /b.pem,", IAM_AUTH_PROXY_HOST: "one.example.com" }),
      {
        "upstream-ca": ["/a.pem", "/b.pem"],
        host: ["one.example.com"],
      },
    );
  });
  it("reads an on/off flag as true/1 or false/0, and refuses anything else", () => {
    assert.deepEqual(values({ IAM_AUTH_PROXY_AWS_VIA_SOCKS: "1" }), { "aws-via-socks": true });
    assert.deepEqual(values({ IAM_AUTH_PROXY_AWS_VIA_SOCKS: "false" }), { "aws-via-socks": false });
    assert.deepEqual(readEnvironmentFlags({ IAM_AUTH_PROXY_AWS_VIA_SOCKS: "on" }).problems, [
      'IAM_AUTH_PROXY_AWS_VIA_SOCKS must be true or false (got "on")',
    ]);
  });
  it("takes --config, but not --help or --version", () => {
    assert.deepEqual(values({ IAM_AUTH_PROXY_CONFIG: "/etc/iam-auth-proxy.yaml" }), {
      config: "/etc/iam-auth-proxy.yaml",
    });
    assert.deepEqual(readEnvironmentFlags({ IAM_AUTH_PROXY_VERSION: "1" }).problems, [
      "Unknown variable IAM_AUTH_PROXY_VERSION",
    ]);
  });
  it("counts an empty variable as not set, though an unknown one is still refused", () => {
    assert.deepEqual(readEnvironmentFlags({ IAM_AUTH_PROXY_BIND: "", IAM_AUTH_PROXY_BIDN: "" }), {
      values: new Map(),
      problems: ["Unknown variable IAM_AUTH_PROXY_BIDN: did you mean IAM_AUTH_PROXY_BIND?"],
    });
  });
});
