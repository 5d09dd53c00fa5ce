/**
 * `npm run demo`: the whole login loop on this machine, no AWS account needed.
 * Starts the local AWS (STS + KMS), the proxy using the demo user's credentials, and the
 * example server signed in to it as the demo `example-server` user (its sign-in page names the
 * proxy's real address), then prints what to try. Ctrl-C stops everything.
 *
 *   npm run demo [-- --app-port 3000 --proxy-port 8080]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { demoAccount } from "../local-aws/demo-account.js";

const dist = fileURLToPath(new URL("..", import.meta.url));
const listening = /\blisten(?:ing)? url=([^\s"]+)/;
const children: ChildProcess[] = [];
let stopping = false;

interface Started {
  readonly url: string;
}

function readPorts(): { appPort: string; proxyPort: string } {
  const { values } = parseArgs({
    options: {
      "app-port": { type: "string", default: "3000" },
      "proxy-port": { type: "string", default: "8080" },
    },
    strict: true,
  });
  for (const [flag, value] of Object.entries(values)) {
    if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
      process.stderr.write(`demo: --${flag} must be a port number 0..65535, got ${JSON.stringify(value)}\n`);
      process.exit(2);
    }
  }
  return { appPort: values["app-port"], proxyPort: values["proxy-port"] };
}

/** Starts one part, prefixes its output with its name, resolves with the URL it listens on. */
function start(name: string, script: string, args: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [`${dist}${script}`, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let pending = "";
    let found = false;
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        process.stdout.write(`[${name}] ${line}\n`);
        const match = listening.exec(line);
        if (!found && match?.[1] !== undefined) {
          found = true;
          resolve({ url: match[1] });
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      if (!found) reject(new Error(`${name} exited (${code ?? signal}) before it was listening`));
      else if (!stopping) {
        process.stderr.write(`demo: ${name} stopped unexpectedly (${code ?? signal}); stopping the demo\n`);
        stopAll(1);
      }
    });
  });
}

function stopAll(exitCode: number): void {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  setTimeout(() => process.exit(exitCode), 500).unref();
  Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : Promise.resolve())),
  )
    .then(() => process.exit(exitCode))
    .catch(() => process.exit(exitCode));
}

async function main(): Promise<void> {
  const { appPort, proxyPort } = readPorts();
  process.on("SIGINT", () => stopAll(0));
  process.on("SIGTERM", () => stopAll(0));

  const aws = await start("local-aws", "local-aws/main.js", ["--port", "0"], {});
  const awsEnv = {
    AWS_ENDPOINT_URL: aws.url,
    AWS_REGION: demoAccount.region,
    AWS_DEFAULT_REGION: demoAccount.region,
    // Keep the person's own AWS profiles out of the demo.
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  // The proxy first: the app's sign-in page names the address it really listens on (--proxy-port 0 too).
  const user = demoAccount.users.demo;
  const proxy = await start("proxy", "proxy/cli/main.js", ["--bind", `127.0.0.1:${proxyPort}`], {
    ...awsEnv,
    AWS_ACCESS_KEY_ID: user.accessKeyId,
    AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
  });
  const server = demoAccount.users.exampleServer;
  const app = await start("example-server", "example-server/main.js", [], {
    ...awsEnv,
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    // Offer both methods; the local AWS is the STS the proofs are for (an explicit, test-only setting).
    IAM_AUTH_METHODS: "sts kms",
    IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
    KMS_KEY_ID: demoAccount.keys.demo.alias,
    KMS_SALT: randomBytes(16).toString("hex"),
    SECRET_KEY: randomBytes(32).toString("hex"),
    PROXY_ADDRESS: new URL(proxy.url).host,
    HOST: "127.0.0.1",
    PORT: appPort,
  });

  process.stdout.write(
    [
      "",
      `demo-ready app=${app.url} proxy=${proxy.url} aws=${aws.url}`,
      "",
      `The example app at ${app.url} signs people in with their AWS identity.`,
      `The proxy at ${proxy.url} proves yours: the demo user ${user.arn}.`,
      "",
      "Try it:",
      `  curl -sS -L -c jar -b jar -x ${proxy.url} ${app.url}/`,
      `  → prints ${user.arn}`,
      `  curl -sS -i ${app.url}/        (without the proxy: the 401 IAM challenge)`,
      `  curl -sS ${aws.url}/__local-aws/calls   (AWS calls the login made)`,
      "",
      "Or set your browser's HTTP proxy to the proxy's address and open the app.",
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  stopAll(1);
});
