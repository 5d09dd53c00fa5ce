import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { httpRequest } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startMisbehavingApp, type MisbehavingApp } from "../helpers/misbehaving-app.js";
import { inPrivateMount, privateMountUnavailable } from "../helpers/private-mount.js";
import { httpsThroughProxy } from "../helpers/proxy-clients.js";
import { waitForOutput } from "../helpers/proxy-process.js";
import { spawnService, type RunningService } from "../helpers/service.js";
import { createTestCa } from "../helpers/tls-fixtures.js";

/*
 * Issue 15's fault matrix, the CA folder's rows: a proxy with --host needs its local CA, created
 * in --ca-dir on first use. Each case runs the real proxy in a mount namespace of its own with a
 * tiny tmpfs as the folder's file system (util-linux's unshare; no root needed), so the disk can
 * really be full and the file system really read-only. (A folder that is only not writable by
 * the person is covered by test/e2e/reach-https.test.ts.)
 *
 * Creating the CA is the one thing that writes: a proxy that cannot do it stops at start, exit 1,
 * with one line saying why and what to do (the README's exit codes) — it never serves --host apps
 * without the CA they need. Freed space lets the next start create it: a failed attempt leaves
 * nothing behind that blocks it. A CA created before the disk filled (or went read-only) is only
 * read: that proxy starts, and intercepts and relays as usual.
 */

const suite = "faults-ca-folder";
const unavailable = privateMountUnavailable();

describe(
  "the CA folder on a full or read-only disk (real proxy, private tmpfs)",
  { skip: unavailable },
  () => {
    let dir = "";
    let aws: LocalAws;
    let app: MisbehavingApp;
    let appCaFile = "";
    const running: RunningService[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `iam-auth-proxy-${suite}-`));
      aws = await startLocalAws(suite);
      const ca = await createTestCa("faults-ca-folder app CA");
      app = await startMisbehavingApp("ok", await ca.issue(["localhost"]));
      appCaFile = join(dir, "app-ca.pem");
      writeFileSync(appCaFile, ca.certPem);
    });
    after(async () => {
      await Promise.all(running.map((service) => service.stop()));
      await app?.close();
      await aws?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A fresh empty folder to mount the tmpfs on. */
    function mountPoint(name: string): string {
      const path = join(dir, name);
      mkdirSync(path);
      return path;
    }

    const proxyArgs = (caDir: string): string[] => [
      ...["--bind", "127.0.0.1:0", "--host", "localhost", "--upstream-ca", appCaFile, "--ca-dir", caDir],
    ];

    /** Runs `steps` then the proxy, which must stop at start: its exit code and what it wrote. */
    function startFails(mount: string, steps: readonly string[], caDir: string) {
      const { command, args, env } = inPrivateMount(
        mount,
        16,
        [...steps, 'exec "$NODE" "$CLI" "$@"'],
        proxyArgs(caDir),
      );
      const result = spawnSync(command, args, {
        encoding: "utf8",
        env: {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          ...awsEnvFor(aws.url, demoAccount.users.demo),
          ...env,
        },
        timeout: 20_000,
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    it("the disk is full at start: exit 1, one line 'the disk is full (ENOSPC); free some space'", () => {
      const mount = mountPoint("full");
      const result = startFails(
        mount,
        ['dd if=/dev/zero of="$MNT/fill" bs=1k 2>/dev/null || true'],
        join(mount, "ca"),
      );
      assert.deepEqual(result, {
        status: 1,
        stdout: "",
        stderr: `iam-auth-proxy: Cannot write the CA files in ${join(mount, "ca")}: the disk is full (ENOSPC); free some space on its disk or choose another directory\n`,
      });
    });

    it("the CA folder's file system is read-only at start: exit 1, one line saying so (not a stack trace, not ENOENT)", () => {
      const mount = mountPoint("read-only");
      const readOnly = ['mount -o remount,ro "$MNT"'];
      // The folder exists (the mount itself): the CA files cannot be written.
      assert.deepEqual(startFails(mount, readOnly, mount), {
        status: 1,
        stdout: "",
        stderr: `iam-auth-proxy: Cannot write the CA files in ${mount}: the file system is read-only (EROFS); choose a directory on a writable file system\n`,
      });
      // The folder does not exist yet: it cannot be made.
      assert.deepEqual(startFails(mount, readOnly, join(mount, "ca")), {
        status: 1,
        stdout: "",
        stderr: `iam-auth-proxy: Cannot create the CA directory ${join(mount, "ca")}: the file system is read-only (EROFS); choose a directory on a writable file system\n`,
      });
    });

    /** Starts the proxy after `steps` in a private mount; resolves once it listens and has checked its credentials. */
    async function startInMount(name: string, steps: readonly string[], caDir: (mount: string) => string) {
      const mount = mountPoint(name);
      const { command, args, env } = inPrivateMount(
        mount,
        64,
        [...steps, 'exec "$NODE" "$CLI" "$@"'],
        proxyArgs(caDir(mount)),
      );
      const proxy = await spawnService({
        command,
        args,
        env: { HOME: dir, ...awsEnvFor(aws.url, demoAccount.users.demo), ...env },
        logName: `${suite}/proxy-${name}.log`,
        name: "iam-auth-proxy in a private mount",
        listening: /\blistening url=(\S+)/,
        toUrl: (url) => url,
        startTimeoutMs: 20_000,
      });
      running.push(proxy);
      await waitForOutput(proxy, /\bcredentials (identity=|outcome=)/);
      return { proxy, mount };
    }

    /** The proxy intercepts the --host app (its own CA, fetched from /ca.pem) and relays plain HTTP too. */
    async function assertServing(proxy: RunningService): Promise<void> {
      const caPem = await httpRequest(`${proxy.url}/ca.pem`);
      assert.equal(caPem.status, 200);
      const intercepted = await httpsThroughProxy(proxy.url, `https://localhost:${app.port}/`, {
        ca: caPem.body,
      });
      assert.deepEqual([intercepted.status, intercepted.body], [200, "ok\n"], "the --host app, intercepted");
      assert.match(String(intercepted.issuer), /iam-auth-proxy/i, "with a certificate from the proxy's CA");
      const plain = await httpRequest(`${aws.url}/__local-aws/calls`, { proxy: proxy.url });
      assert.equal(plain.status, 200, "plain HTTP through the proxy");
      assert.equal(proxy.process.exitCode, null);
    }

    it("space freed after a failed start: the next start creates the CA and serves (nothing left behind blocks it)", async () => {
      const firstTry = join(dir, "first-try.err");
      const { proxy, mount } = await startInMount(
        "freed",
        [
          'dd if=/dev/zero of="$MNT/fill" bs=1k 2>/dev/null || true',
          `if "$NODE" "$CLI" "$@" 2>${JSON.stringify(firstTry)}; then exit 99; fi`,
          'rm "$MNT/fill"',
        ],
        (mountDir) => join(mountDir, "ca"),
      );
      assert.match(readFileSync(firstTry, "utf8"), /the disk is full \(ENOSPC\)/, "the first start failed");
      assert.match(proxy.output(), new RegExp(`\\bca-created cert=${join(mount, "ca", "ca-cert.pem")}`));
      await assertServing(proxy);
    });

    it("a CA created before the disk filled and went read-only: the proxy starts, intercepts and relays as usual", async () => {
      const { proxy } = await startInMount(
        "created-before",
        [
          '"$NODE" "$CLI" ca --ca-dir "$MNT/ca" >/dev/null',
          'dd if=/dev/zero of="$MNT/fill" bs=1k 2>/dev/null || true',
          'mount -o remount,ro "$MNT"',
        ],
        (mountDir) => join(mountDir, "ca"),
      );
      assert.doesNotMatch(proxy.output(), /\bca-created\b/, "the CA was loaded, not created");
      await assertServing(proxy);
    });
  },
);
