import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { demoAccount } from "../../local-aws/demo-account.js";
import { writeSessionSecret } from "../../test/helpers/header-echo-app.js";
import { recordServerSecrets } from "../../test/helpers/hostile-client.js";
import type { LocalAws } from "../../test/helpers/local-aws.js";
import { startProxyProcess } from "../../test/helpers/proxy-process.js";
import type { RunningService } from "../../test/helpers/service.js";
import { startStsOnlyApp } from "../../test/helpers/sts-only-app.js";
import { countedBody } from "../apps/counting-handler.js";
import { ProcessGroup, startMinimalApp } from "../processes.js";
import type { SoakTargetName } from "./settings.js";

/** One set-up under soak: our proxy in front of the server under test. */
export interface SoakTarget {
  readonly name: SoakTargetName;
  /** The page clients ask for through the proxy, e.g. http://127.0.0.1:41234/ */
  readonly page: string;
  /** What a signed-in client gets for it. */
  readonly expectBody: string;
  /** Our proxy, in the redirect flow (see runSignIns). */
  readonly proxy: RunningService;
  /** The example server, or the gateway. */
  readonly server: RunningService;
  /** Stops every process of the target. */
  stop(): Promise<void>;
}

/**
 * Starts one target's processes: the server under test for the demo account, the STS method
 * only, checking proofs at the local AWS — the example server, or the gateway in front of the
 * minimal app (bench/apps/minimal-app.ts) — and our proxy with `--login-flow redirect`. Every log
 * goes to test-logs/bench/<run>/<target>/, and the session secret given to the server to
 * server-secrets.json there, so the log audit (test/audit) reads them all and checks that none
 * holds a secret.
 *
 * @example const target = await startSoakTarget("gateway", aws, "soak"); try { … } finally { await target.stop(); }
 */
export async function startSoakTarget(name: SoakTargetName, aws: LocalAws, run: string): Promise<SoakTarget> {
  const group = new ProcessGroup(`${run}/${name}`);
  const folder = `bench/${run}/${name}`;
  try {
    const server =
      name === "example-server"
        ? await startExampleServer(group, aws, folder)
        : await startGateway(group, aws, folder);
    const proxy = await startProxyProcess(`${folder}/proxy.log`, aws.url, [
      ...["--bind", "127.0.0.1:0", "--login-flow", "redirect"],
    ]);
    group.track(proxy.service);
    return {
      name,
      page: `${server.url}/`,
      expectBody:
        name === "example-server" ? `arn:aws:iam::${demoAccount.accountId}:user/demo\n` : countedBody,
      proxy: proxy.service,
      server,
      stop: () => group.stopAll(),
    };
  } catch (error) {
    await group.stopAll();
    throw error;
  }
}

async function startExampleServer(
  group: ProcessGroup,
  aws: LocalAws,
  folder: string,
): Promise<RunningService> {
  const secretKey = randomBytes(32).toString("hex");
  recordServerSecrets(folder, [secretKey]);
  return group.track(await startStsOnlyApp(folder, aws.url, secretKey, { TRUST_PROXY: "loopback" }));
}

async function startGateway(group: ProcessGroup, aws: LocalAws, folder: string): Promise<RunningService> {
  const secret = writeSessionSecret();
  group.track({ stop: () => Promise.resolve(rmSync(secret.dir, { recursive: true, force: true })) });
  recordServerSecrets(folder, [readFileSync(secret.file, "utf8").trim()]);
  const app = await startMinimalApp(group);
  return group.start("gateway", "gateway/cli/main.js", {
    args: [
      ...["--bind", "127.0.0.1:0", "--upstream", app.service.url, "--account", demoAccount.accountId],
      ...["--session-secret-file", secret.file, "--test-sts-endpoint", aws.url],
      ...["--trust-proxy", "loopback"],
    ],
  });
}
