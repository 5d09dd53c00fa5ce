import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import { rootCertificates } from "node:tls";
import { formatLogLine, reportProcessWarnings } from "../../../protocol/index.js";
import type { ProxyLogger } from "../../common/log.js";
import { parseBindAddress } from "../../http/bind-address.js";
import type { CliCommand, CliEnvironment, CliOutput } from "../command.js";
import { allFlags, PROGRAM_NAME } from "../flags/flag-table.js";
import { readRunOptions, type RunOptions } from "../run/run-options.js";
import { prepareForwardProxy } from "./run.js";

/** Flags of the proxy that make no sense for a private one: where it listens, and reverse mode. */
const notForExec = new Set(["bind", "upstream", "allow-other-users", "login-flow"]);

/** What `iam-auth-proxy exec` runs with. */
export interface ExecCommandOptions {
  /** The proxy's options, as for the run command; bind is a fresh loopback port. */
  readonly proxy: RunOptions;
  /** The command and its arguments, as given after `--`. */
  readonly command: readonly string[];
}

/**
 * `iam-auth-proxy exec -- COMMAND …`: runs COMMAND with a private proxy on a fresh loopback port
 * as its HTTP(S) proxy, so a script or CLI signs in to IAM-protected apps without settings; the
 * proxy stops when the command ends, and exec exits with the command's exit code.
 */
export const execCommand: CliCommand = {
  name: "exec",
  describe: "Run a command with a private proxy as its HTTP_PROXY/HTTPS_PROXY: exec -- curl https://app/",
  flags: allFlags
    .filter((flag) => flag.only === undefined && flag.command === undefined && !notForExec.has(flag.name))
    .map((flag) => flag.name),
  takesCommand: true,
  prepare(flags, env, commandWords) {
    const run = readRunOptions(flags, env);
    const options: ExecCommandOptions = Object.freeze({
      // The proxy always signs in by itself here: a command-line client has no cookie store to
      // follow the redirect flow with, and the session stays in the private proxy.
      proxy: Object.freeze({ ...run, bind: parseBindAddress("127.0.0.1:0"), loginFlow: "proxy" as const }),
      command: Object.freeze([...commandWords]),
    });
    return { options, run: (output) => runExec(options, output, env) };
  },
};

/**
 * Runs the command under a private proxy. Resolves with the command's exit code (128 + the
 * signal's number when a signal ended it, as shells report it), 127 when it cannot be started,
 * 1 when the proxy cannot start.
 */
export async function runExec(
  options: ExecCommandOptions,
  output: CliOutput,
  env: CliEnvironment,
): Promise<number> {
  const logger = createExecLogger(output);
  reportProcessWarnings((fields) => logger.warn("node-warning", fields));
  let caCertPath: string | undefined;
  const prepared = await prepareForwardProxy(options.proxy, logger, undefined, output, (path) => {
    caCertPath = path;
  });
  if (prepared.kind === "failed") return prepared.code;
  const { proxy } = prepared;
  let proxyUrl: string;
  try {
    const urls = (await proxy.listen()) as readonly string[];
    proxyUrl = urls[0] ?? "";
  } catch (error) {
    output.err.write(`${PROGRAM_NAME}: the private proxy cannot listen: ${(error as Error).message}\n`);
    await proxy.close();
    prepared.dispose();
    return 1;
  }
  const trust = caCertPath === undefined ? undefined : writeTrustBundle(caCertPath);
  try {
    return await runChild(options.command, childEnvironment(env, proxyUrl, trust), output);
  } finally {
    await proxy.close();
    prepared.dispose();
    if (trust !== undefined) rmSync(trust.dir, { recursive: true, force: true });
  }
}

interface TrustFiles {
  readonly dir: string;
  /** The local CA alone: for NODE_EXTRA_CA_CERTS, which adds to Node's own list. */
  readonly caCert: string;
  /** Node's bundled roots plus the local CA: for the variables that replace a tool's list. */
  readonly bundle: string;
}

/**
 * REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and SSL_CERT_FILE replace a tool's trusted roots: pointing
 * them at the local CA alone would break every HTTPS site that is not intercepted (tunnelled
 * through CONNECT with its own certificate). They get the usual public roots plus the local CA.
 */
function writeTrustBundle(caCertPath: string): TrustFiles {
  const dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-exec-"));
  const caPem = readFileSync(caCertPath, "utf8");
  const bundle = join(dir, "ca-bundle.pem");
  writeFileSync(bundle, `${[...rootCertificates, caPem.trim()].join("\n")}\n`, { mode: 0o600 });
  return { dir, caCert: caCertPath, bundle };
}

/** The command's environment: the caller's, with the private proxy (and the CA for --host apps). */
function childEnvironment(
  env: CliEnvironment,
  proxyUrl: string,
  trust: TrustFiles | undefined,
): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...env };
  // Both spellings: curl reads only the lower-case http_proxy, Python and Go read either.
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) childEnv[name] = proxyUrl;
  if (trust !== undefined) {
    childEnv.NODE_EXTRA_CA_CERTS = trust.caCert;
    for (const name of ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
      childEnv[name] = trust.bundle;
  }
  return childEnv;
}

/** Runs the command with the terminal's stdin, stdout and stderr; passes SIGINT and SIGTERM on. */
function runChild(command: readonly string[], env: NodeJS.ProcessEnv, output: CliOutput): Promise<number> {
  const [file, ...args] = command;
  return new Promise((resolve) => {
    const child = spawn(file ?? "", args, { env, stdio: "inherit" });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    const done = (code: number): void => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code);
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      const reason = error.code === "ENOENT" ? "command not found" : error.message;
      output.err.write(`${PROGRAM_NAME}: cannot run ${file}: ${reason}\n`);
      done(error.code === "ENOENT" ? 127 : 126);
    });
    child.once("exit", (code, signal) => {
      done(code ?? 128 + (signal === null ? 0 : (osConstants.signals[signal] ?? 0)));
    });
  });
}

/**
 * The private proxy's log: only warnings and refusals, on stderr, each line marked as the
 * proxy's. Its info lines (listening, each sign-in) would mix into the command's own output.
 */
function createExecLogger(output: CliOutput): ProxyLogger {
  return {
    info: () => undefined,
    warn: (event, fields) => void output.err.write(`${PROGRAM_NAME}: ${formatLogLine(event, fields)}\n`),
  };
}
