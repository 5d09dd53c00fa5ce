#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hideBin } from "yargs/helpers";
import { createAwsLoginDependencies } from "./aws-login.js";
import { loadLocalCa, runCaCommand } from "./ca-subcommand.js";
import { PROGRAM_NAME, parseCliArguments } from "./cli-arguments.js";
import { toOneLine } from "./errors.js";
import { createStreamLogger, type ProxyLogger } from "./log.js";
import { createTerminalMfaPrompt } from "./mfa-prompt.js";
import type { LocalCa } from "./mitm/index.js";
import { createProxyServer } from "./proxy-server.js";
import { parseSocksEndpoint } from "./socks-connector.js";
import { createUpstreamConnections } from "./upstream-connections.js";

/**
 * Runs the iam-auth-proxy command line. Resolves with the exit code: 0 after --help / --version
 * / `ca` (or once a signal has closed the proxy), 1 when it cannot listen or cannot use the local
 * CA, 2 on a usage error.
 *
 * @example await main(["--bind", "127.0.0.1:8080", "--profile", "work"])
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
  // The CA is needed only to decrypt the --host apps' HTTPS: without --host none is created.
  let ca: LocalCa | undefined;
  if (config.hosts.length > 0) {
    const loaded = await loadLocalCa(config.caDir);
    if (loaded.kind === "failed") {
      process.stderr.write(`${PROGRAM_NAME}: ${loaded.message}\n`);
      return 1;
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
  // Only a person at a terminal can type an MFA code; without one, challenges that need a code get 503.
  const readMfaCode = process.stdin.isTTY
    ? createTerminalMfaPrompt({ input: process.stdin, output: process.stderr })
    : undefined;
  // With --aws-via-socks the SDK's clients connect through the tunnel too (their own agents).
  const awsConnections =
    config.awsViaSocks && config.socksProxy !== undefined
      ? createUpstreamConnections({ socks: parseSocksEndpoint(config.socksProxy) })
      : undefined;
  const login = createAwsLoginDependencies({ ...config.aws, readMfaCode, agents: awsConnections });
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
  try {
    await proxy.listen();
  } catch (error) {
    process.stderr.write(`${PROGRAM_NAME}: cannot listen on ${config.bind}: ${(error as Error).message}\n`);
    await proxy.close();
    awsConnections?.destroy();
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
  awsConnections?.destroy();
  return 0;
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
  main(hideBin(process.argv)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `${PROGRAM_NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
