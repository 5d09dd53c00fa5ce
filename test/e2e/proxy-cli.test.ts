import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DecryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { demoAccount } from "../../local-aws/demo-account.js";
import { httpRequest } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { repoRoot, startService, type RunningService } from "../helpers/service.js";

const cli = join(repoRoot, "dist", "proxy", "cli", "main.js");
const salt = "proxy-cli-e2e-salt";
const listeningLine = /^\S+ listening url=(\S+)$/gm;

/** The /auth requests the stand-in app received: the proxy makes them itself. */
const authRequests: string[] = [];

/**
 * A stand-in app: /plain answers 200; /private sends the IAM challenge as example-server.py does,
 * unless the request carries the session cookie its /auth sets (it accepts any token: the test
 * checks the token itself).
 */
function createUpstream(): http.Server {
  return http.createServer((req, res) => {
    if (req.url?.startsWith("/auth?") === true) {
      authRequests.push(req.url);
      const returnUrl = new URL(req.url, "http://app").searchParams.get("return_url") ?? "/";
      res.writeHead(302, { location: returnUrl, "set-cookie": "session=signed-in; Path=/; HttpOnly" });
      res.end();
      return;
    }
    if (req.url?.startsWith("/private") === true && req.headers.cookie === "session=signed-in") {
      res.end(`private page ${req.url}`);
      return;
    }
    if (req.url?.startsWith("/private") === true) {
      res.writeHead(401, {
        "WWW-Authenticate": `IAM realm="${demoAccount.accountId}"`,
        "Iam-Auth-Kms-Key-Id": demoAccount.keys.demo.arn,
        "Iam-Auth-Kms-Encryption-Context": Buffer.from(`{"salt": "${salt}"}`).toString("base64"),
      });
      res.end("Please log in");
      return;
    }
    res.end(`hello from upstream ${req.url ?? ""}`);
  });
}

async function listen(server: net.Server, host = "127.0.0.1"): Promise<number> {
  server.listen(0, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  try {
    await listen(server, "::1");
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

async function waitForOutput(service: RunningService, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(service.output());
    if (match !== null) return match[0];
    if (Date.now() > deadline)
      throw new Error(`no output matching ${String(pattern)}; output:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function listeningUrls(service: RunningService): string[] {
  return [...service.output().matchAll(listeningLine)].map((match) => match[1] ?? "");
}

describe("iam-auth-proxy CLI (real process)", () => {
  const upstream = createUpstream();
  let upstreamHost = "";
  let tempDir = "";
  /** No credentials anywhere: empty shared files, no metadata service, AWS endpoints on a closed port. */
  let noCredentialsEnv: Record<string, string> = {};
  /** The CLI with no usable credentials, logging to test-logs/proxy-cli/<logName>.log. */
  const startCredentialFreeCli = (args: readonly string[], logName: string): Promise<RunningService> =>
    startService({
      script: "proxy/cli/main.js",
      args,
      env: noCredentialsEnv,
      logName: `proxy-cli/${logName}.log`,
    });

  before(async () => {
    upstreamHost = `127.0.0.1:${await listen(upstream)}`;
    tempDir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-cli-"));
    writeFileSync(join(tempDir, "config"), "");
    writeFileSync(join(tempDir, "credentials"), "");
    noCredentialsEnv = {
      AWS_CONFIG_FILE: join(tempDir, "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(tempDir, "credentials"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`,
    };
  });
  after(async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    rmSync(tempDir, { recursive: true, force: true });
  });

  describe("--bind 127.0.0.1:0", () => {
    let proxy: RunningService;
    before(async () => {
      proxy = await startCredentialFreeCli(["--bind", "127.0.0.1:0"], "bind-ipv4");
    });
    after(() => proxy.stop());

    it("prints one listening line for 127.0.0.1", () => {
      assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(listeningUrls(proxy), [proxy.url]);
    });

    it("forwards an absolute-form request to the app", async () => {
      const response = await httpRequest(`http://${upstreamHost}/plain?x=1`, { proxy: proxy.url });
      assert.equal(response.status, 200);
      assert.equal(response.body, "hello from upstream /plain?x=1");
    });

    it("exits 0 on SIGTERM", async () => {
      await proxy.stop();
      assert.equal(proxy.process.exitCode, 0);
      assert.match(proxy.output(), /\bshutdown signal=SIGTERM\b/);
    });
  });

  describe("--bind :0", () => {
    let proxy: RunningService;
    before(async () => {
      proxy = await startCredentialFreeCli(["--bind", ":0"], "bind-loopback");
    });
    after(() => proxy.stop());

    it("listens on 127.0.0.1 first and on ::1 with the same port (loopback only)", async () => {
      const port = new URL(proxy.url).port;
      assert.equal(proxy.url, `http://127.0.0.1:${port}`);
      if (await hasIpv6Loopback()) {
        await waitForOutput(proxy, /listening url=http:\/\/\[::1\]:\d+/);
        assert.deepEqual(listeningUrls(proxy), [`http://127.0.0.1:${port}`, `http://[::1]:${port}`]);
        const response = await httpRequest(`http://${upstreamHost}/plain`, { proxy: `http://[::1]:${port}` });
        assert.equal(response.body, "hello from upstream /plain");
      } else {
        await waitForOutput(proxy, /listen-skipped address=::1 port=\d+ code=\S+/);
        assert.deepEqual(listeningUrls(proxy), [`http://127.0.0.1:${port}`]);
      }
      assert.doesNotMatch(proxy.output(), /\bwarning\b/);
    });
  });

  describe("with no usable AWS credentials", () => {
    let proxy: RunningService;
    before(async () => {
      proxy = await startCredentialFreeCli(
        ["--bind", "127.0.0.1:0", "--kms-host", "127.0.0.1"],
        "no-credentials",
      );
    });
    after(() => proxy.stop());

    it("says what to do, keeps serving, and answers challenges with 503", async () => {
      await waitForOutput(
        proxy,
        /credentials outcome=missing message="No AWS credentials found in the environment \(AWS_ACCESS_KEY_ID\), .* Run `aws configure` \(access keys\) or `aws configure sso`, or name a profile with --profile or AWS_PROFILE; no restart needed, the proxy looks again within a second"/,
      );
      const response = await httpRequest(`http://${upstreamHost}/private`, { proxy: proxy.url });
      assert.equal(response.status, 503);
      assert.equal(response.headers["content-type"], "text/plain; charset=utf-8");
      assert.match(
        response.body,
        /^NO_CREDENTIALS: No AWS credentials found in the environment \(AWS_ACCESS_KEY_ID\), .* Run `aws configure` \(access keys\) or `aws configure sso`, or name a profile with --profile or AWS_PROFILE; no restart needed, the proxy looks again within a second\n$/,
      );
      await waitForOutput(
        proxy,
        new RegExp(
          `login host=${upstreamHost} identity=unknown method=kms outcome=denied code=NO_CREDENTIALS reason=`,
        ),
      );
      const plain = await httpRequest(`http://${upstreamHost}/plain`, { proxy: proxy.url });
      assert.equal(plain.status, 200);
    });
  });

  describe("flags from the environment and a config file", () => {
    const started: RunningService[] = [];
    after(async () => {
      await Promise.all(started.map((service) => service.stop()));
    });
    const start = async (args: readonly string[], env: Record<string, string>, logName: string) => {
      const service = await startService({
        script: "proxy/cli/main.js",
        args,
        env: { ...noCredentialsEnv, ...env },
        logName: `proxy-cli/${logName}.log`,
      });
      started.push(service);
      return service;
    };

    it("listens where IAM_AUTH_PROXY_BIND says, without --bind", async () => {
      const proxy = await start([], { IAM_AUTH_PROXY_BIND: "127.0.0.1:0" }, "env-bind");
      assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await httpRequest(`http://${upstreamHost}/plain`, { proxy: proxy.url });
      assert.equal(response.body, "hello from upstream /plain");
    });

    it("reads a YAML config file, --host as a list and --ca-dir relative to the file", async () => {
      const config = join(tempDir, "proxy.yaml");
      writeFileSync(
        config,
        "bind: 127.0.0.1:0\nhost:\n  - app.example.com\n  - '*.corp.example.com'\nca-dir: yaml-ca\n",
      );
      const proxy = await start(["--config", config], {}, "config-yaml");
      assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(proxy.output(), new RegExp(`\\bca cert=${join(tempDir, "yaml-ca", "ca-cert.pem")} `));
      const pac = await httpRequest(`${proxy.url}/proxy.pac`);
      assert.match(pac.body, /"app\.example\.com"/);
      assert.match(pac.body, /corp\.example\.com"/);
    });

    it("takes a flag over the environment, the environment over a JSON config file, the file over the default", async () => {
      const config = join(tempDir, "proxy.json");
      writeFileSync(config, JSON.stringify({ bind: "127.0.0.3:0", "login-flow": "redirect" }));
      const env = { IAM_AUTH_PROXY_CONFIG: config };
      const fromFile = await start([], env, "precedence-file");
      const fromEnv = await start([], { ...env, IAM_AUTH_PROXY_BIND: "127.0.0.2:0" }, "precedence-env");
      const fromFlag = await start(
        ["--bind", "127.0.0.1:0"],
        { ...env, IAM_AUTH_PROXY_BIND: "127.0.0.2:0" },
        "precedence-flag",
      );
      assert.deepEqual(
        [fromFile.url, fromEnv.url, fromFlag.url].map((url) => new URL(url).hostname),
        ["127.0.0.3", "127.0.0.2", "127.0.0.1"],
      );
      const status = await httpRequest(`${fromFlag.url}/`);
      assert.match(status.body, /--login-flow redirect/, "the file's login-flow still applies");
    });
  });

  describe("usage", () => {
    const run = (
      args: readonly string[],
      env: Record<string, string> = {},
    ): { status: number | null; stdout: string; stderr: string } => {
      const result = spawnSync(process.execPath, [cli, ...args], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...noCredentialsEnv, ...env },
        timeout: 15_000,
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const hint = "Run iam-auth-proxy --help to see the options.\n";

    it("prints the usage with -h and --help, and exits 0", () => {
      const help = run(["--help"]);
      assert.equal(help.status, 0);
      assert.equal(help.stderr, "");
      assert.deepEqual(help.stdout.split("\n").slice(0, 7), [
        "Usage: iam-auth-proxy [command] [flags]",
        "",
        "A local HTTP proxy that signs you in to IAM-protected web apps with your AWS identity.",
        "",
        "Commands:",
        "  iam-auth-proxy         Run the proxy: forward mode, or reverse mode with --upstream      [default]",
        "  iam-auth-proxy ca      Create the local CA if needed, and print where it is and how to trust it in",
      ]);
      assert.deepEqual(run(["-h"]), help);
    });

    it("exits 2 on an unknown flag, suggesting the closest one", () => {
      assert.deepEqual(run(["--bnd", ":8080"]), {
        status: 2,
        stdout: "",
        stderr: `iam-auth-proxy: Unknown flag --bnd: did you mean --bind?\n${hint}`,
      });
      assert.deepEqual(run(["--bogus"]), {
        status: 2,
        stdout: "",
        stderr: `iam-auth-proxy: Unknown flag --bogus\n${hint}`,
      });
    });

    it("exits 2 on a malformed --socks-proxy, naming the flag", () => {
      assert.deepEqual(run(["--socks-proxy", "127.0.0.1"]), {
        status: 2,
        stdout: "",
        stderr:
          "iam-auth-proxy: --socks-proxy must be HOST:PORT with a port from 1 to 65535, as in 127.0.0.1:1080 " +
          `(got "127.0.0.1")\n${hint}`,
      });
    });

    it("reports every problem at once, from the command line, the environment and the config file", () => {
      const config = join(tempDir, "bad.yaml");
      writeFileSync(config, "bnd: ':8080'\nmethod: saml\n");
      assert.deepEqual(
        run(["--config", config, "--bind", "x"], {
          IAM_AUTH_PROXY_SOCKS: "127.0.0.1:1080",
          IAM_AUTH_PROXY_REGION: "Mars",
        }),
        {
          status: 2,
          stdout: "",
          stderr:
            "iam-auth-proxy: Unknown variable IAM_AUTH_PROXY_SOCKS: did you mean IAM_AUTH_PROXY_SOCKS_PROXY?\n" +
            `iam-auth-proxy: Unknown key bnd in ${config}: did you mean bind?\n` +
            'iam-auth-proxy: --bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "x")\n' +
            `iam-auth-proxy: method in ${config} must be auto, sts or kms (got "saml")\n` +
            'iam-auth-proxy: IAM_AUTH_PROXY_REGION must be an AWS region like us-east-1 (got "Mars")\n' +
            hint,
        },
      );
    });

    it("exits 2 when --upstream (reverse mode) is combined with --host, in one line naming them and why", () => {
      assert.deepEqual(run(["--upstream", "https://app.example.com", "--host", "app.example.com"]), {
        status: 2,
        stdout: "",
        stderr:
          "iam-auth-proxy: --upstream cannot be combined with --host: in reverse mode each app " +
          `has its own local address and no HTTPS is decrypted, so there are no --host apps\n${hint}`,
      });
    });

    it("prints the package version with --version and -v", () => {
      const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
        version: string;
      };
      assert.deepEqual(run(["--version"]), { status: 0, stdout: `${version}\n`, stderr: "" });
      assert.deepEqual(run(["-v"]), { status: 0, stdout: `${version}\n`, stderr: "" });
    });

    it("runs the ca command: creates the CA, prints how to trust it and exits 0", () => {
      const caDir = join(tempDir, "ca-command");
      const result = run(["ca", "--ca-dir", caDir, "--bind", ":9000"]);
      assert.equal(result.status, 0);
      assert.equal(result.stderr, "");
      assert.ok(
        result.stdout.startsWith(
          `Created a new local CA in ${caDir}.\n\niam-auth-proxy local certificate authority (CA)\n`,
        ),
        result.stdout,
      );
      assert.ok(
        result.stdout.includes(`curl --proxy http://127.0.0.1:9000 --cacert ${join(caDir, "ca-cert.pem")} `),
      );
      assert.deepEqual(run(["ca", "--host", "app.example.com"]), {
        status: 2,
        stdout: "",
        stderr: `iam-auth-proxy: --host does not apply to the ca command (it takes --ca-dir and --bind)\n${hint}`,
      });
    });

    it("exits 1 when the address is taken", async () => {
      const taken = net.createServer();
      const port = await listen(taken);
      try {
        const result = run(["--bind", `127.0.0.1:${port}`]);
        assert.equal(result.status, 1);
        assert.match(
          result.stderr,
          new RegExp(`^iam-auth-proxy: cannot listen on 127\\.0\\.0\\.1:${port}: listen EADDRINUSE`),
        );
      } finally {
        taken.close();
      }
    });
  });

  describe("logging in to an app through the local AWS", () => {
    const { users, region } = demoAccount;
    let localAws: LocalAws;
    let proxy: RunningService;
    const clients: { destroy(): void }[] = [];

    before(async () => {
      localAws = await startLocalAws("proxy-cli");
      proxy = await startService({
        script: "proxy/cli/main.js",
        // The fake app below offers only the KMS method: the person names it.
        args: ["--bind", "127.0.0.1:0", "--kms-host", "127.0.0.1"],
        env: awsEnvFor(localAws.url, users.demo),
        logName: "proxy-cli/login.log",
      });
    });
    after(async () => {
      for (const client of clients) client.destroy();
      await proxy.stop();
      await localAws.stop();
    });

    it("reports whose credentials it uses at start-up", async () => {
      await waitForOutput(
        proxy,
        new RegExp(`credentials identity=${users.demo.arn} account=${demoAccount.accountId}`),
      );
    });

    it("signs in itself with a token the app can decrypt into credentials of the demo user", async () => {
      authRequests.length = 0;
      const response = await httpRequest(`http://${upstreamHost}/private?x=1`, { proxy: proxy.url });
      assert.equal(response.status, 200);
      assert.equal(response.body, "private page /private?x=1");
      assert.deepEqual(response.headers["set-cookie"], ["session=signed-in; Path=/; HttpOnly"]);
      assert.equal(authRequests.length, 1);
      const prefix = "/auth?return_url=%2Fprivate%3Fx%3D1&token=";
      const authRequest = authRequests[0] ?? "";
      assert.ok(authRequest.startsWith(prefix), authRequest);
      const token = decodeURIComponent(authRequest.slice(prefix.length));

      // What the app does at /auth: decrypt with its own identity and the context, then ask STS who it is.
      const kms = new KMSClient({
        endpoint: localAws.url,
        region,
        credentials: users.exampleServer,
        maxAttempts: 1,
      });
      clients.push(kms);
      const decrypted = await kms.send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(token, "base64"), EncryptionContext: { salt } }),
      );
      const plaintext = JSON.parse(
        Buffer.from(decrypted.Plaintext ?? new Uint8Array()).toString("utf8"),
      ) as Record<string, string>;
      assert.deepEqual(Object.keys(plaintext), [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
      ]);
      const sts = new STSClient({
        endpoint: localAws.url,
        region,
        maxAttempts: 1,
        credentials: {
          accessKeyId: plaintext.AccessKeyId ?? "",
          secretAccessKey: plaintext.SecretAccessKey ?? "",
          sessionToken: plaintext.SessionToken ?? "",
        },
      });
      clients.push(sts);
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, users.demo.arn);

      await waitForOutput(
        proxy,
        new RegExp(`login host=${upstreamHost} identity=${users.demo.arn} method=kms outcome=signed-in`),
      );
    });
  });
});
