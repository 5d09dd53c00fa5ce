/**
 * `npm run demo`: the whole login loop on this machine, no AWS account needed.
 * Starts the local AWS (STS + KMS), the proxy using the demo user's credentials, and the
 * example server signed in to it as the demo `example-server` user (its sign-in page names the
 * proxy's real address), then prints what to try. With `--gateway`, also a plain Python app
 * (scripts/demo-gateway-app.py, Debian's /usr/bin/python3) behind `iam-auth-gateway`.
 * Ctrl-C stops everything.
 *
 *   npm run demo [-- --app-port 3000 --proxy-port 8080 --gateway --gateway-port 4180]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import { demoAccount } from "../local-aws/demo-account.js";

const dist = fileURLToPath(new URL("..", import.meta.url));
/** The Python app is not compiled: it is read from the repository's scripts/ folder. */
const gatewayApp = fileURLToPath(new URL("../../scripts/demo-gateway-app.py", import.meta.url));
/** Debian's Python, as the gateway's end-to-end tests use: the point is an app that is not Node. */
const PYTHON = "/usr/bin/python3";
// A JSON log line ends the URL with its closing quote.
const listening = /\blisten(?:ing)? url=([^\s"]+)/;
const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];
let stopping = false;

interface Started {
  readonly url: string;
}

interface DemoOptions {
  readonly appPort: number;
  readonly proxyPort: number;
  /** Also start the Python app behind the gateway. */
  readonly gateway: boolean;
  readonly gatewayPort: number;
}

const portOption = (port: number, what: string) =>
  ({ type: "number", default: port, describe: `port ${what} listens on (0: any free one)` }) as const;

/** The command line, parsed by yargs; exits 2 with the problem on a bad flag. */
function readOptions(): DemoOptions {
  const ports = ["app-port", "proxy-port", "gateway-port"] as const;
  const argv = yargs(process.argv.slice(2))
    .scriptName("npm run demo --")
    .options({
      "app-port": portOption(3000, "the example app"),
      "proxy-port": portOption(8080, "the proxy"),
      gateway: {
        type: "boolean",
        default: false,
        describe: "also start a Python app behind iam-auth-gateway",
      },
      "gateway-port": portOption(4180, "the gateway (with --gateway)"),
    })
    .check((args) => {
      for (const flag of ports) {
        const value = args[flag];
        if (!Number.isInteger(value) || value < 0 || value > 65535)
          throw new Error(`--${flag} must be a port number 0..65535, got ${String(value)}`);
      }
      return true;
    })
    .strict()
    .fail((message: string | undefined, error: Error | undefined) => {
      process.stderr.write(
        `demo: ${message ?? error?.message ?? "bad arguments"} (npm run demo -- --help)\n`,
      );
      process.exit(2);
    })
    .parserConfiguration({ "camel-case-expansion": false })
    .version(false)
    .help()
    .parseSync();
  return {
    appPort: argv["app-port"],
    proxyPort: argv["proxy-port"],
    gateway: argv.gateway,
    gatewayPort: argv["gateway-port"],
  };
}

/** Starts one part, prefixes its output with its name, resolves with the URL it listens on. */
function start(
  name: string,
  command: { readonly script: string } | { readonly program: string; readonly args: string[] },
  args: string[],
  env: Record<string, string>,
): Promise<Started> {
  const [file, fileArgs] =
    "script" in command ? [process.execPath, [`${dist}${command.script}`]] : [command.program, command.args];
  const child = spawn(file, [...fileArgs, ...args], {
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
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === "ENOENT"
            ? `${name}: ${file} is not installed${file === PYTHON ? " (apt-get install python3)" : ""}`
            : `${name}: ${error.message}`,
        ),
      ),
    );
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
  for (const child of children) if (child.exitCode === null && child.pid !== undefined) child.kill("SIGTERM");
  const exit = (): void => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    process.exit(exitCode);
  };
  setTimeout(exit, 500).unref();
  Promise.all(
    children.map((c) =>
      c.exitCode === null && c.pid !== undefined ? new Promise((r) => c.once("exit", r)) : Promise.resolve(),
    ),
  ).then(exit, exit);
}

/** The Python app and the gateway in front of it; resolves with the gateway's URL. */
async function startGateway(port: number, awsUrl: string): Promise<Started> {
  const app = await start("python-app", { program: PYTHON, args: [gatewayApp] }, [], {});
  // The gateway reads its cookie-signing secret from a file only it may read; gone when the demo stops.
  const secretDir = mkdtempSync(join(tmpdir(), "iam-auth-demo-gateway-"));
  cleanups.push(() => rmSync(secretDir, { recursive: true, force: true }));
  const secretFile = join(secretDir, "session-secret");
  writeFileSync(secretFile, randomBytes(32).toString("hex"), { mode: 0o600 });
  return start(
    "gateway",
    { script: "gateway/cli/main.js" },
    [
      ...["--bind", `127.0.0.1:${port}`, "--upstream", app.url, "--account", demoAccount.accountId],
      // The local AWS is the STS the proofs are for (an explicit, test-only setting).
      ...["--session-secret-file", secretFile, "--test-sts-endpoint", awsUrl],
    ],
    {},
  );
}

async function main(): Promise<void> {
  const options = readOptions();
  process.on("SIGINT", () => stopAll(0));
  process.on("SIGTERM", () => stopAll(0));

  const aws = await start("local-aws", { script: "local-aws/main.js" }, ["--port", "0"], {});
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
  const proxy = await start(
    "proxy",
    { script: "proxy/cli/main.js" },
    ["--bind", `127.0.0.1:${options.proxyPort}`],
    { ...awsEnv, AWS_ACCESS_KEY_ID: user.accessKeyId, AWS_SECRET_ACCESS_KEY: user.secretAccessKey },
  );
  const server = demoAccount.users.exampleServer;
  const app = await start("example-server", { script: "example-server/main.js" }, [], {
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
    PORT: String(options.appPort),
  });
  const gateway = options.gateway ? await startGateway(options.gatewayPort, aws.url) : undefined;

  process.stdout.write(
    [
      "",
      `demo-ready app=${app.url} proxy=${proxy.url} aws=${aws.url}${gateway === undefined ? "" : ` gateway=${gateway.url}`}`,
      "",
      `The example app at ${app.url} signs people in with their AWS identity.`,
      `The proxy at ${proxy.url} proves yours: the demo user ${user.arn}.`,
      "",
      "Try it:",
      `  curl -sS -L -c jar -b jar -x ${proxy.url} ${app.url}/`,
      `  → prints ${user.arn}`,
      `  curl -sS -i ${app.url}/        (without the proxy: the 401 IAM challenge)`,
      `  curl -sS ${aws.url}/__local-aws/calls   (AWS calls the login made)`,
      ...(gateway === undefined
        ? []
        : [
            "",
            `The gateway at ${gateway.url} puts the same sign-in in front of a Python app that knows`,
            "nothing of AWS (scripts/demo-gateway-app.py): it reads who is calling from X-Forwarded-User.",
            `  curl -sS -L -c jar -b jar -x ${proxy.url} ${gateway.url}/`,
            `  → prints Hello ${user.arn}`,
            `  curl -sS -i ${gateway.url}/        (without the proxy: the gateway's 401 IAM challenge)`,
          ]),
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
