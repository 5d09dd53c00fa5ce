import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { demoAccount } from "../../local-aws/demo-account.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { repoRoot, type RunningService } from "../helpers/service.js";
import { startKmsOnlyApp } from "../helpers/kms-only-app.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";

/*
 * The Node.js client (`iam-auth-proxy/client`: createIamFetch, and createIamDispatcher with undici's
 * request() and fetch) in a process of its own, as a service would run it: its environment
 * holds only AWS settings, no proxy is running.
 */

const suite = "client-fetch";
/** createIamFetch, createIamDispatcher with undici's request(), and with undici's own fetch. */
const clientForms = ["fetch", "dispatcher", "undici fetch"] as const;
type ClientForm = (typeof clientForms)[number];
const { users, roles } = demoAccount;

describe("createIamFetch: a service calls an internal app as its AWS identity, no proxy (real processes)", () => {
  let aws: LocalAws;
  let stsApp: RunningService;
  let kmsApp: RunningService;
  let dir: string;
  /** One service script per form of the client, each making two GETs. */
  const scripts = new Map<ClientForm, string>();

  before(async () => {
    aws = await startLocalAws(suite);
    stsApp = await startStsOnlyApp(suite, aws.url);
    kmsApp = await startKmsOnlyApp(suite, aws.url);
    dir = mkdtempSync(join(tmpdir(), "iam-auth-client-"));
    // What a service would write: two GETs with one client; its options come from argv as JSON.
    const client = pathToFileURL(join(repoRoot, "dist", "client", "index.js")).href;
    const undici = pathToFileURL(join(repoRoot, "node_modules", "undici", "index.js")).href;
    const get: Record<ClientForm, string> = {
      fetch: `const iamFetch = client.createIamFetch(options);
const get = async () => { const r = await iamFetch(url); return [r.status, await r.text()]; };`,
      dispatcher: `const dispatcher = client.createIamDispatcher(options);
const u = new URL(url);
const get = async () => {
  const r = await dispatcher.request({ origin: u.origin, path: u.pathname + u.search, method: "GET" });
  return [r.statusCode, await r.body.text()];
};`,
      "undici fetch": `const { fetch } = await import(${JSON.stringify(undici)});
const dispatcher = client.createIamDispatcher(options);
const get = async () => { const r = await fetch(url, { dispatcher }); return [r.status, await r.text()]; };`,
    };
    for (const [form, code] of Object.entries(get) as [ClientForm, string][]) {
      const script = join(dir, `service-${form.replace(" ", "-")}.mjs`);
      writeFileSync(
        script,
        `const client = await import(${JSON.stringify(client)});
const [url, options] = [process.argv[2], JSON.parse(process.argv[3] ?? "{}")];
${code}
try {
  for (let i = 0; i < 2; i++) {
    const [status, text] = await get();
    process.stdout.write(\`\${status} \${text}\`);
  }
} catch (thrown) {
  // fetch reports a dispatcher's error as TypeError "fetch failed" with the error as its cause.
  const error = thrown.message === "fetch failed" && thrown.cause ? thrown.cause : thrown;
  process.stdout.write(\`\${error.name} \${error.code}: \${error.message}\\n\`);
  process.exitCode = 3;
}
`,
      );
      scripts.set(form, script);
    }
  });

  after(async () => {
    await kmsApp?.stop();
    await stsApp?.stop();
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function service(
    url: string,
    options: object,
    user: { accessKeyId: string; secretAccessKey: string } = users.demo,
    form: ClientForm = "fetch",
  ): Promise<{ code: number; stdout: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [scripts.get(form) ?? "", url, JSON.stringify(options)],
        { env: { PATH: process.env.PATH ?? "", HOME: dir, ...awsEnvFor(aws.url, user) }, timeout: 30_000 },
        (error, stdout) =>
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout }),
      );
    });
  }

  for (const form of clientForms) {
    it(`${form}: signs in as a role (AssumeRole with the service's credentials) and reuses the session: one STS proof check`, async () => {
      await aws.resetCalls();
      const ran = await service(
        `${stsApp.url}/`,
        { aws: { assumeRole: { roleArn: roles.developer.arn, sessionName: "reports-job" } } },
        users.demo,
        form,
      );
      const arn = `arn:aws:sts::${demoAccount.accountId}:assumed-role/Developer/reports-job`;
      assert.equal(ran.stdout, `200 ${arn}\n200 ${arn}\n`);
      assert.equal(ran.code, 0);
      const calls = await aws.calls();
      assert.equal(calls["sts:AssumeRole"], 1);
      // The app checked one proof: the second request used the session.
      assert.equal(calls["sts:GetCallerIdentity"], 1);
    });

    it(`${form}: refuses a KMS-only app unless it is named in kmsHosts, then signs in with KMS`, async () => {
      const refused = await service(`${kmsApp.url}/`, {}, users.demo, form);
      assert.equal(refused.code, 3);
      assert.match(refused.stdout, /^IamSignInError KMS_APP_NOT_NAMED: /);
      const named = await service(
        `${kmsApp.url}/`,
        { kmsHosts: [new URL(kmsApp.url).host] },
        users.demo,
        form,
      );
      assert.equal(named.stdout, `200 ${users.demo.arn}\n200 ${users.demo.arn}\n`);
    });

    it(`${form}: says why when the app refuses the sign-in (a wrong secret key)`, async () => {
      const ran = await service(
        `${stsApp.url}/`,
        {},
        { ...users.demo, secretAccessKey: "wrong-NOT-REAL" },
        form,
      );
      assert.equal(ran.code, 3);
      assert.match(
        ran.stdout,
        /^IamSignInError SIGN_IN_REFUSED: 127\.0\.0\.1:\d+ refused the sign-in at \/auth \(HTTP 403\): .*SignatureDoesNotMatch/,
      );
    });
  }
});
