import { reportProcessWarnings } from "../../../protocol/index.js";
import { createStreamLogger, type ProxyLogger } from "../../common/log.js";
import type { CallerIdentity, MfaCodeReader } from "../../aws/types.js";
import { formatBindAddress } from "../../http/bind-address.js";
import type { CliCommand, CliOutput } from "../command.js";
import { allFlags, PROGRAM_NAME } from "../flags/flag-table.js";
import { createTerminalMfaPrompt } from "../mfa-prompt.js";
import { readRunOptions, type RunOptions } from "../run/run-options.js";

/*
 * Start-up time: each mode's server code is imported once the mode is known (reverse mode never
 * loads forward mode's HTTPS interception), the CA store only for --host, socks-proxy-agent only
 * for --aws-via-socks. The AWS SDK loads on the first AWS call, after the proxy listens (see
 * aws-clients.ts and credentials.ts).
 */

/** What the run command needs of either mode's proxy. */
export interface RunnableProxy {
  listen(): Promise<unknown>;
  checkCredentials(): Promise<CallerIdentity | undefined>;
  close(): Promise<void>;
}

/** A proxy ready to listen, or the exit code after its reason was printed. */
export type Prepared =
  | { readonly kind: "ready"; readonly proxy: RunnableProxy; readonly where: string; dispose(): void }
  | { readonly kind: "failed"; readonly code: number };

/**
 * `iam-auth-proxy` without a command word: the proxy, in forward mode (the browser's HTTP proxy)
 * or, with --upstream, reverse mode (each app at a local address).
 */
export const runCommand: CliCommand = {
  name: undefined,
  describe: "Run the proxy: forward mode, or reverse mode with --upstream",
  flags: allFlags
    .filter((flag) => flag.only === undefined && flag.command === undefined)
    .map((flag) => flag.name),
  prepare(flags, env) {
    const options = readRunOptions(flags, env);
    return { options, run: (output) => runProxy(options, output) };
  },
};

/**
 * Runs the proxy until SIGINT or SIGTERM. Resolves with the exit code: 0 once a signal has closed
 * the proxy, 1 when it cannot listen or cannot use the local CA (the reason on `err`).
 *
 * @example process.exitCode = await runProxy(options, { out: process.stdout, err: process.stderr })
 */
export async function runProxy(options: RunOptions, output: CliOutput): Promise<number> {
  const logger = createStreamLogger(process.stdout, process.stderr, options.logFormat);
  reportProcessWarningsAsLogLines(logger);
  // Only a person at a terminal can type an MFA code; without one, challenges that need a code get 503.
  const readMfaCode = process.stdin.isTTY
    ? createTerminalMfaPrompt({ input: process.stdin, output: process.stderr })
    : undefined;
  const prepared =
    options.upstreams.length > 0
      ? await prepareReverseProxy(options, logger, readMfaCode)
      : await prepareForwardProxy(options, logger, readMfaCode, output);
  if (prepared.kind === "failed") return prepared.code;
  const { proxy } = prepared;
  try {
    await proxy.listen();
  } catch (error) {
    output.err.write(`${PROGRAM_NAME}: cannot listen on ${prepared.where}: ${(error as Error).message}\n`);
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

/**
 * Forward mode: the HTTP proxy browsers and tools are configured to use (--host, --socks-proxy).
 * `exec` runs one too, on a private port. With `caCertPath`, the local CA's certificate path is
 * handed over once loaded (for --host).
 */
export async function prepareForwardProxy(
  options: RunOptions,
  logger: ProxyLogger,
  readMfaCode: MfaCodeReader | undefined,
  output: CliOutput,
  onCa?: (certPath: string) => void,
): Promise<Prepared> {
  const [{ createAwsLoginDependencies }, { createProxyServer }] = await Promise.all([
    import("../../aws/aws-login.js"),
    import("../../forward/proxy-server.js"),
  ]);
  // The CA is needed only to decrypt the --host apps' HTTPS: without --host none is created.
  let ca;
  if (options.hosts.length > 0) {
    const { loadLocalCa } = await import("../ca/local-ca.js");
    const loaded = await loadLocalCa(options.caDir);
    if (loaded.kind === "failed") {
      output.err.write(`${PROGRAM_NAME}: ${loaded.message}\n`);
      return { kind: "failed", code: 1 };
    }
    ca = loaded.ca;
    onCa?.(ca.certPath);
    logger.info("ca", { cert: ca.certPath, fingerprint: ca.fingerprintSha256, created: ca.created });
    if (ca.created) {
      logger.warn("ca-created", {
        cert: ca.certPath,
        message: `browsers do not trust this new CA yet: run ${PROGRAM_NAME} ca to see how to trust it`,
      });
    }
  }
  // With --aws-via-socks the SDK's clients connect through the tunnel too (their own agents).
  const awsAgents =
    options.awsViaSocks && options.socks !== undefined
      ? await (await import("../run/aws-socks-agents.js")).createAwsSocksAgents(options.socks)
      : undefined;
  const proxy = createProxyServer({
    bind: options.bind,
    login: createAwsLoginDependencies({ ...options.aws, readMfaCode, agents: awsAgents }),
    logger,
    method: options.method,
    loginFlow: options.loginFlow,
    hosts: options.hosts,
    kmsHosts: options.kmsHosts,
    upstreamCa: options.upstreamCa,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    allowOtherUsers: options.allowOtherUsers,
    ...(ca === undefined ? {} : { ca }),
    ...(options.socks === undefined ? {} : { socks: options.socks }),
  });
  if (options.socks !== undefined) {
    logger.info("socks", { proxy: options.socks.host, aws: options.awsViaSocks ? "via-socks" : "direct" });
  }
  const where = formatBindAddress(options.bind);
  return { kind: "ready", proxy, where, dispose: () => awsAgents?.destroy() };
}

/** Reverse mode: each --upstream app at a local address the browser opens directly. */
async function prepareReverseProxy(
  options: RunOptions,
  logger: ProxyLogger,
  readMfaCode: MfaCodeReader | undefined,
): Promise<Prepared> {
  const [{ createAwsLoginDependencies }, { createReverseProxy }] = await Promise.all([
    import("../../aws/aws-login.js"),
    import("../../reverse/index.js"),
  ]);
  const proxy = createReverseProxy({
    upstreams: options.upstreams,
    login: createAwsLoginDependencies({ ...options.aws, readMfaCode }),
    logger,
    method: options.method,
    loginFlow: options.loginFlow,
    upstreamCa: options.upstreamCa,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    allowOtherUsers: options.allowOtherUsers,
    ...(options.socks === undefined ? {} : { socks: options.socks }),
  });
  const where = options.upstreams.map((upstream) => formatBindAddress(upstream.bind)).join(", ");
  return { kind: "ready", proxy, where, dispose: () => undefined };
}

/**
 * Node prints warnings (e.g. the AWS SDK's NodeVersionSupportWarning, and the credential chain's
 * "Multiple credential sources", which createCredentialProvider turns into one) as several
 * free-form lines; log them as one event each instead, so the output stays one event per line.
 */
function reportProcessWarningsAsLogLines(logger: ProxyLogger): void {
  reportProcessWarnings((fields) => logger.warn("node-warning", fields));
}
