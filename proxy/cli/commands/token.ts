import { formatLogLine, formatProofHeaderValue, reportProcessWarnings } from "../../../protocol/index.js";
import type { CliCommand, CliOutput } from "../command.js";
import { allFlags, PROGRAM_NAME } from "../flags/flag-table.js";
import { readRunOptions, type RunOptions } from "../run/run-options.js";

/**
 * The proxy's flags that say nothing about making a proof, and those about reaching apps through
 * the proxy (SOCKS, its CA, upstream trust and timeout): `token` reaches the app directly, once.
 */
const notForToken = new Set([
  "bind",
  "upstream",
  "allow-other-users",
  "login-flow",
  "log-format",
  "socks-proxy",
  "aws-via-socks",
  "upstream-ca",
  "upstream-timeout",
  "ca-dir",
]);

/** What `--format` prints. */
export type TokenFormat = "header" | "value" | "json";
const formats: readonly TokenFormat[] = ["header", "value", "json"];
// RFC 9110 §5.6.2: a field name is a token.
const headerNamePattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
/** How long reaching the app for its challenge may take. */
const CHALLENGE_TIMEOUT_MS = 10_000;

/** What `iam-auth-proxy token URL` runs with. */
export interface TokenCommandOptions {
  readonly proxy: RunOptions;
  readonly url: URL;
  readonly format: TokenFormat;
  /** The header the app reads proofs from, as printed; default `Authorization`. */
  readonly header: string;
}

/**
 * `iam-auth-proxy token URL`: prints a one-time proof for the app at URL, for clients that send
 * it in a header (`curl -H "$(iam-auth-proxy token URL)" URL`). The app's challenge is fetched
 * from URL and answered by the proxy's own answerer and app policy, with the same credentials,
 * role, MFA and method rules: the STS method wherever the app offers it, KMS only for an app
 * named with --host or --kms-host. Exit code 0 with the proof on stdout, 1 when none can be made
 * (the reason on stderr).
 */
export const tokenCommand: CliCommand = {
  name: "token",
  describe: 'Print a one-time proof for the app at URL, for curl -H "$(iam-auth-proxy token URL)" URL',
  flags: [
    ...allFlags
      .filter((flag) => flag.only === undefined && flag.command === undefined && !notForToken.has(flag.name))
      .map((flag) => flag.name),
    "format",
    "proof-header",
  ],
  maxArguments: 1,
  prepare(flags, env, _commandWords, args) {
    const proxy = readRunOptions(flags, env);
    const [text] = args;
    const url = text !== undefined && URL.canParse(text) ? new URL(text) : undefined;
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      flags.report(
        text === undefined
          ? "token needs the app's URL, e.g. iam-auth-proxy token https://app.example.com/"
          : `token URL must be an http(s) URL such as https://app.example.com/ (got ${JSON.stringify(text)})`,
      );
    }
    const format = flags.text("format");
    if (format !== undefined && !formats.includes(format.value as TokenFormat)) {
      flags.report(`${format.name} must be header, value or json (got ${JSON.stringify(format.value)})`);
    }
    const header = flags.text("proof-header");
    if (header !== undefined && !headerNamePattern.test(header.value)) {
      flags.report(
        `${header.name} must be an HTTP header name such as X-Iam-Proof (got ${JSON.stringify(header.value)})`,
      );
    }
    const options: TokenCommandOptions = Object.freeze({
      proxy,
      url: url ?? new URL("http://invalid/"),
      format: (format?.value ?? "header") as TokenFormat,
      header: header?.value ?? "Authorization",
    });
    return { options, run: (output) => runToken(options, output) };
  },
};

/** Fetches the challenge, answers it and prints the proof; resolves with 0, or 1 with the reason on stderr. */
export async function runToken(options: TokenCommandOptions, output: CliOutput): Promise<number> {
  const [{ createAwsLoginDependencies }, { createAwsSession }, signin, { createTerminalMfaPrompt }] =
    await Promise.all([
      import("../../aws/aws-login.js"),
      import("../../aws/aws-session.js"),
      import("../../signin/index.js"),
      import("../mfa-prompt.js"),
    ]);
  reportProcessWarnings(
    (fields) => void output.err.write(`${PROGRAM_NAME}: ${formatLogLine("node-warning", fields)}\n`),
  );
  const fail = (message: string): number => {
    output.err.write(`${PROGRAM_NAME} token: ${message}\n`);
    return 1;
  };
  const { url, proxy } = options;
  let response: Response;
  try {
    response = await fetch(url, {
      redirect: "manual",
      headers: { accept: "text/plain" },
      signal: AbortSignal.timeout(CHALLENGE_TIMEOUT_MS),
    });
    await response.body?.cancel();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return fail(
      `cannot reach ${url.origin} (${cause}); check the URL (iam-auth-proxy doctor ${url.href} says more)`,
    );
  }
  const challenge = signin.readFetchChallenge(response);
  if (challenge === undefined) {
    return fail(
      `${url.href} answered ${response.status} without an IAM challenge: give a URL the app protects (one that answers 401 WWW-Authenticate: IAM … without a session)`,
    );
  }
  const readMfaCode = process.stdin.isTTY
    ? createTerminalMfaPrompt({ input: process.stdin, output: process.stderr })
    : undefined;
  const session = createAwsSession(createAwsLoginDependencies({ ...proxy.aws, readMfaCode }));
  // The forward proxy's own rule: a KMS proof only for the apps the person named.
  const policy = signin.createAppPolicy({ signIn: "every app", kms: [...proxy.hosts, ...proxy.kmsHosts] });
  const answer = signin.createChallengeAnswerer({
    session,
    method: proxy.method,
    mayReceiveKmsProof: policy.mayReceiveKmsProof,
  });
  const decision = await answer(challenge, {
    host: url.host,
    scheme: url.protocol === "https:" ? "https" : "http",
  });
  if (decision.action === "deny") return fail(`${decision.error.code}: ${decision.error.message}`);
  const value = formatProofHeaderValue(decision.token);
  output.out.write(`${formatToken(options, value, decision)}\n`);
  return 0;
}

function formatToken(
  options: TokenCommandOptions,
  value: string,
  decision: {
    readonly method: string;
    readonly token: string;
    readonly identity?: { readonly arn: string } | undefined;
  },
): string {
  switch (options.format) {
    case "header":
      return `${options.header}: ${value}`;
    case "value":
      return value;
    case "json":
      return JSON.stringify({
        header: options.header,
        value,
        token: decision.token,
        method: decision.method,
        url: options.url.href,
        ...(decision.identity === undefined ? {} : { identity: decision.identity.arn }),
      });
  }
}
