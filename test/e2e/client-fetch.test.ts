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
 * The Node.js client (`iam-auth-proxy/client`'s createIamFetch) in a process of its own, as a
 * service would run it: its environment holds only AWS settings, no proxy is running.
 */

const suite = "client-fetch";
const { users, roles } = demoAccount;

describe("createIamFetch: a service calls an internal app as its AWS identity, no proxy (real processes)", () => {
  let aws: LocalAws;
  let stsApp: RunningService;
  let kmsApp: RunningService;
  let dir: string;
  let script: string;

  before(async () => {
    aws = await startLocalAws(suite);
    stsApp = await startStsOnlyApp(suite, aws.url);
    kmsApp = await startKmsOnlyApp(suite, aws.url);
    dir = mkdtempSync(join(tmpdir(), "iam-auth-client-"));
    // What a service would write: two GETs with one client; its options come from argv as JSON.
    script = join(dir, "service.mjs");
    const client = pathToFileURL(join(repoRoot, "dist", "client", "index.js")).href;
    writeFileSync(
      script,
      `import { createIamFetch } from ${JSON.stringify(client)};
const [url, options] = [process.argv[2], JSON.parse(process.argv[3] ?? "{}")];
const iamFetch = createIamFetch(options);
try {
  for (let i = 0; i < 2; i++) {
    const response = await iamFetch(url);
    process.stdout.write(\`\${response.status} \${await response.text()}\`);
  }
} catch (error) {
  process.stdout.write(\`\${error.name} \${error.code}: \${error.message}\\n\`);
  process.exitCode = 3;
}
`,
    );
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
  ): Promise<{ code: number; stdout: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [script, url, JSON.stringify(options)],
        { env: { PATH: process.env.PATH ?? "", HOME: dir, ...awsEnvFor(aws.url, user) }, timeout: 30_000 },
        (error, stdout) =>
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout }),
      );
    });
  }

  it("signs in as a role (AssumeRole with the service's credentials) and reuses the session: one STS proof check", async () => {
    await aws.resetCalls();
    const ran = await service(`${stsApp.url}/`, {
      aws: { assumeRole: { roleArn: roles.developer.arn, sessionName: "reports-job" } },
    });
    const arn = `arn:aws:sts::${demoAccount.accountId}:assumed-role/Developer/reports-job`;
    assert.equal(ran.stdout, `200 ${arn}\n200 ${arn}\n`);
    assert.equal(ran.code, 0);
    const calls = await aws.calls();
    assert.equal(calls["sts:AssumeRole"], 1);
    // The app checked one proof: the second request used the session.
    assert.equal(calls["sts:GetCallerIdentity"], 1);
  });

  it("refuses a KMS-only app unless it is named in kmsHosts, then signs in with KMS", async () => {
    const refused = await service(`${kmsApp.url}/`, {});
    assert.equal(refused.code, 3);
    assert.match(refused.stdout, /^IamSignInError KMS_APP_NOT_NAMED: /);
    const named = await service(`${kmsApp.url}/`, { kmsHosts: [new URL(kmsApp.url).host] });
    assert.equal(named.stdout, `200 ${users.demo.arn}\n200 ${users.demo.arn}\n`);
  });

  it("says why when the app refuses the sign-in (a wrong secret key)", async () => {
    const ran = await service(`${stsApp.url}/`, {}, { ...users.demo, secretAccessKey: "wrong-NOT-REAL" });
    assert.equal(ran.code, 3);
    assert.match(
      ran.stdout,
      /^IamSignInError SIGN_IN_REFUSED: 127\.0\.0\.1:\d+ refused the sign-in at \/auth \(HTTP 403\): .*SignatureDoesNotMatch/,
    );
  });
});
