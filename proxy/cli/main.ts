#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createAwsLoginDependencies } from "../aws/aws-login.js";
import { PROGRAM_NAME, parseCliArguments, type CliConfig } from "./cli-arguments.js";
import { toOneLine } from "../common/errors.js";
import { createStreamLogger, type ProxyLogger } from "../common/log.js";
import type { AwsAgents, CallerIdentity, MfaCodeReader } from "../aws/types.js";
import { createTerminalMfaPrompt } from "./mfa-prompt.js";
// Types only (erased): the modules themselves are imported when a mode needs them.
import type { LocalCa } from "../mitm/index.js";

/*
 * Start-up time: only what parsing the command line needs is imported up front; each mode's
 * server code once the mode is known (reverse mode never loads forward mode's HTTPS
 * interception), and the CA store only for --host and the ca command. The AWS SDK loads on the
 * first AWS call, after the proxy listens (see aws-clients.ts and credentials.ts).
 */

/** What main() needs of either mode's proxy. */
interface RunnableProxy {
  listen(): Promise<unknown>;
  checkCredentials(): Promise<CallerIdentity | undefined>;
  close(): Promise<void>;
}

/** A proxy ready to listen, or the exit code after its reason was printed. */
type Prepared =
  | { readonly kind: "ready"; readonly proxy: RunnableProxy; readonly where: string; dispose(): void }
  | { readonly kind: "failed"; readonly code: number };

/**
 * Runs the iam-auth-proxy command line. Resolves with the exit code: 0 after --help / --version
 * / `ca` (or once a signal has closed the proxy), 1 when it cannot listen or cannot use the local
 * CA, 2 on a usage error.
 *
 * @example await main(["--bind", "127.0.0.1:8080", "--profile", "work"])
 * @example await main(["--upstream", "https://app.internal.example.com"]) // reverse mode on :8080
 */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  const parsed = parseCliArguments(argv, env);
  if (parsed.kind === "exit") {
    (parsed.code === 0 ? process.stdout : process.stderr).write(parsed.output);
    return parsed.code;
  }
  const { config } = parsed;
  if (parsed.kind === "ca") {
    const { runCaCommand } = await import("./ca-subcommand.js");
    return runCaCommand({
      caDir: config.caDir,
      bind: config.bind,
      out: process.stdout,
      err: process.stderr,
      programName: PROGRAM_NAME,
    });
  }
  const logger = createStreamLogger();
  reportProcessWarningsAsLogLines(logger);
  // Only a person at a terminal can type an MFA code; without one, challenges that need a code get 503.
  const readMfaCode = process.stdin.isTTY
    ? createTerminalMfaPrompt({ input: process.stdin, output: process.stderr })
    : undefined;
  const prepared =
    config.upstreams.length > 0
      ? await prepareReverseProxy(config, logger, readMfaCode)
      : await prepareForwardProxy(config, logger, readMfaCode);
  if (prepared.kind === "failed") return prepared.code;
  const { proxy } = prepared;
  try {
    await proxy.listen();
  } catch (error) {
    process.stderr.write(
      `${PROGRAM_NAME}: cannot listen on ${prepared.where}: ${(error as Error).message}\n`,
    );
    await proxy.close();
    prepared.dispose();
    return 1;
  }
  // Check the credentials in the background: the proxy serves either way, and a failure is only reported.
  proxy.checkCredentials().catch((error: unknown) => {
    logger.warn("credentials", { outcome: "error", reason: String(error) });
  });

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  logger.info("shutdown", { signal });
  await proxy.close();
  prepared.dispose();
  return 0;
}

/** Forward mode: the HTTP proxy browsers and tools are configured to use (--host, --socks-proxy). */
async function prepareForwardProxy(
  config: CliConfig,
  logger: ProxyLogger,
  readMfaCode: MfaCodeReader | undefined,
): Promise<Prepared> {
  // The CA is needed only to decrypt the --host apps' HTTPS: without --host none is created.
  let ca: LocalCa | undefined;
  if (config.hosts.length > 0) {
    const { loadLocalCa } = await import("./ca-subcommand.js");
    const loaded = await loadLocalCa(config.caDir);
    if (loaded.kind === "failed") {
      process.stderr.write(`${PROGRAM_NAME}: ${loaded.message}\n`);
      return { kind: "failed", code: 1 };
    }
    ca = loaded.ca;
    logger.info("ca", { cert: ca.certPath, fingerprint: ca.fingerprintSha256, created: ca.created });
    if (ca.created) {
      logger.warn("ca-created", {
        cert: ca.certPath,
        message: `browsers do not trust this new CA yet: run ${PROGRAM_NAME} ca to see how to trust it`,
      });
    }
  }
  // With --aws-via-socks the SDK's clients connect through the tunnel too (their own agents).
  const awsConnections = await createAwsConnections(config);
  const login = createAwsLoginDependencies({ ...config.aws, readMfaCode, agents: awsConnections });
  const { createProxyServer } = await import("../forward/proxy-server.js");
  const proxy = createProxyServer({
    bind: config.bind,
    login,
    logger,
    method: config.method,
    loginFlow: config.loginFlow,
    hosts: config.hosts,
    upstreamCa: config.upstreamCa,
    ...(ca === undefined ? {} : { ca }),
    ...(config.socksProxy === undefined ? {} : { socksProxy: config.socksProxy }),
  });
  if (config.socksProxy !== undefined) {
    logger.info("socks", { proxy: config.socksProxy, aws: config.awsViaSocks ? "via-socks" : "direct" });
  }
  return { kind: "ready", proxy, where: config.bind, dispose: () => awsConnections?.destroy() };
}

/** Reverse mode: each --upstream app at a local address the browser opens directly. */
async function prepareReverseProxy(
  config: CliConfig,
  logger: ProxyLogger,
  readMfaCode: MfaCodeReader | undefined,
): Promise<Prepared> {
  const { createReverseProxy } = await import("../reverse/index.js");
  const proxy = createReverseProxy({
    upstreams: config.upstreams,
    login: createAwsLoginDependencies({ ...config.aws, readMfaCode }),
    logger,
    method: config.method,
    loginFlow: config.loginFlow,
    extraCaPems: config.upstreamCa,
  });
  const where = config.upstreams.map((upstream) => upstream.bind).join(", ");
  return { kind: "ready", proxy, where, dispose: () => undefined };
}

/** With --aws-via-socks, agents that take the AWS SDK's connections through the SOCKS server (names resolved there). */
async function createAwsConnections(
  config: CliConfig,
): Promise<(AwsAgents & { destroy(): void }) | undefined> {
  if (!config.awsViaSocks || config.socksProxy === undefined) return undefined;
  const { SocksProxyAgent } = await import("socks-proxy-agent");
  const agent = new SocksProxyAgent(`socks5h://${config.socksProxy}`, { keepAlive: true });
  return { http: agent, https: agent, destroy: () => agent.destroy() };
}

/**
 * Node prints warnings (e.g. the AWS SDK's NodeVersionSupportWarning) as several free-form lines;
 * log them as one event each instead, so the output stays one event per line.
 */
function reportProcessWarningsAsLogLines(logger: ProxyLogger): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error) => {
    logger.warn("node-warning", { name: warning.name, message: toOneLine(warning.message) });
  });
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    // npm links the bin through a symlink: compare real paths.
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `${PROGRAM_NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
