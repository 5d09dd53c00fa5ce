import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { after, before, describe, it } from "node:test";
import { httpRequest } from "../helpers/http-client.js";
import { repoRoot, startService, type RunningService } from "../helpers/service.js";

/*
 * The PAC file a running proxy serves, and `iam-auth-proxy ca`, as real processes. The CA lives
 * in temporary directories (--ca-dir, or HOME): a test never touches the developer's own.
 */

const suite = "reach-pac-ca";
const cli = join(repoRoot, "dist", "proxy", "cli", "main.js");
const hint = "Run iam-auth-proxy --help to see the options.\n";
/** No AWS anywhere: these tests need none. */
const noAws = {
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
};

function runCli(args: string[], home: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: home, ...noAws },
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("iam-auth-proxy ca (real process)", () => {
  let home = "";
  before(() => {
    home = mkdtempSync(join(tmpdir(), "iam-auth-proxy-ca-home-"));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("creates the CA in ~/.iam-auth-proxy and prints its path, fingerprint and how to trust it", () => {
    const result = runCli(["ca"], home);
    assert.equal(result.status, 0);
    assert.equal(result.stderr, "");
    const caDir = join(home, ".iam-auth-proxy");
    const certPath = join(caDir, "ca-cert.pem");
    const fingerprint = new X509Certificate(readFileSync(certPath)).fingerprint256;
    assert.ok(result.stdout.startsWith(`Created a new local CA in ${caDir}.\n\n`));
    assert.ok(result.stdout.includes(`  Certificate:         ${certPath}\n`));
    assert.ok(result.stdout.includes(`  SHA-256 fingerprint: ${fingerprint}\n`));
    for (const line of [
      `certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n iam-auth-proxy -i ${certPath}`,
      "Firefox (any system; it keeps its own certificate store):",
      `security add-trusted-cert -d -r trustRoot -k ~/Library/Keychains/login.keychain-db ${certPath}`,
      `certutil -user -addstore Root ${certPath}`,
      `NODE_EXTRA_CA_CERTS=${certPath} node your-client.js`,
      `curl --proxy http://127.0.0.1:8080 --cacert ${certPath} https://app.corp.example.com/`,
    ]) {
      assert.ok(result.stdout.includes(line), line);
    }
    assert.equal(statSync(join(caDir, "ca-key.pem")).mode & 0o777, 0o600);
    assert.equal(statSync(caDir).mode & 0o777, 0o700);
  });

  it("prints the same CA the next time, without creating one, for the --bind given", () => {
    const first = new X509Certificate(readFileSync(join(home, ".iam-auth-proxy", "ca-cert.pem")))
      .fingerprint256;
    const result = runCli(["ca", "--bind", ":9090"], home);
    assert.equal(result.status, 0);
    assert.ok(result.stdout.startsWith("iam-auth-proxy local certificate authority (CA)\n"));
    assert.ok(result.stdout.includes(`SHA-256 fingerprint: ${first}\n`));
    assert.ok(result.stdout.includes("curl --proxy http://127.0.0.1:9090 "));
  });

  it("takes --ca-dir, and refuses flags it would ignore (exit 2)", () => {
    const caDir = join(home, "elsewhere");
    assert.equal(runCli(["ca", "--ca-dir", caDir], home).status, 0);
    assert.ok(existsSync(join(caDir, "ca-cert.pem")));
    assert.deepEqual(runCli(["ca", "--profile", "work"], home), {
      status: 2,
      stdout: "",
      stderr: `iam-auth-proxy: --profile does not apply to the ca command (it takes --ca-dir and --bind)\n${hint}`,
    });
  });
});

describe("the PAC file at /proxy.pac (real process)", () => {
  let home = "";
  let proxy: RunningService;
  let plain: RunningService;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), "iam-auth-proxy-pac-home-"));
    proxy = await startService({
      script: "proxy/cli/main.js",
      args: [
        "--bind",
        "127.0.0.1:0",
        "--host",
        "*.corp.example.com",
        "--host",
        "app.example.com:8443",
        "--host",
        "10.0.0.5",
      ],
      env: { ...noAws, HOME: home },
      logName: `${suite}/proxy-hosts.log`,
    });
    plain = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0"],
      env: { ...noAws, HOME: join(home, "plain") },
      logName: `${suite}/proxy-plain.log`,
    });
  });
  after(async () => {
    await proxy?.stop();
    await plain?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** Fetches the PAC file from the proxy itself and runs FindProxyForURL as a browser would. */
  async function pacFrom(service: RunningService): Promise<(url: string) => unknown> {
    const response = await httpRequest(`${service.url}/proxy.pac`);
    assert.equal(response.status, 200);
    assert.equal(response.headers["content-type"], "application/x-ns-proxy-autoconfig");
    return (url): unknown => {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
      return runInNewContext(
        `${response.body}\nFindProxyForURL(${JSON.stringify(url)}, ${JSON.stringify(host)})`,
      );
    };
  }

  it("routes the --host patterns through this proxy and everything else DIRECT", async () => {
    const findProxy = await pacFrom(proxy);
    const self = `PROXY ${new URL(proxy.url).host}`;
    assert.equal(findProxy("https://reports.corp.example.com/"), self);
    assert.equal(findProxy("http://a.b.corp.example.com/x"), self);
    assert.equal(findProxy("https://corp.example.com/"), "DIRECT");
    assert.equal(findProxy("https://app.example.com:8443/"), self);
    assert.equal(findProxy("https://app.example.com/"), "DIRECT");
    assert.equal(findProxy("http://10.0.0.5/"), self);
    assert.equal(findProxy("https://www.example.org/"), "DIRECT");
  });

  it("without --host, sends every http:// URL through the proxy, and creates no CA", async () => {
    const findProxy = await pacFrom(plain);
    assert.equal(findProxy("http://app.internal:3000/"), `PROXY ${new URL(plain.url).host}`);
    assert.equal(findProxy("https://app.internal/"), "DIRECT");
    assert.equal(existsSync(join(home, "plain", ".iam-auth-proxy")), false);
    assert.doesNotMatch(plain.output(), /\bca /);
  });

  it("with --host and no --ca-dir, keeps its CA in ~/.iam-auth-proxy", () => {
    assert.ok(existsSync(join(home, ".iam-auth-proxy", "ca-cert.pem")));
  });
});
