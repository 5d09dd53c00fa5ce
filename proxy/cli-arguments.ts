import { readFileSync } from "node:fs";
import yargs from "yargs";
import { isRoleArn, isStsEndpoint, type AwsLoginOptions } from "./aws-login.js";
import { parseBindAddress } from "./bind-address.js";
import { checkCaCommandFlags, checkReachFlags, reachListFlags, type ReachFlags } from "./cli-reach-flags.js";
import type { LoginFlow, LoginMethodPreference } from "./login-types.js";

/**
 * What the proxy runs with, from the command line (and AWS_REGION / AWS_DEFAULT_REGION,
 * AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL).
 */
export interface CliConfig extends ReachFlags {
  /** Checked with parseBindAddress. */
  readonly bind: string;
  readonly method: LoginMethodPreference;
  readonly loginFlow: LoginFlow;
  /** Without `aws.mfa.tokenCode`, the code is asked for on the terminal. */
  readonly aws: AwsLoginOptions;
}

/**
 * Run the proxy, run the `ca` command, or exit now: 0 after --help / --version (output to
 * stdout), 2 on a usage error (stderr).
 */
export type CliParseResult =
  | { readonly kind: "run"; readonly config: CliConfig }
  | { readonly kind: "ca"; readonly config: CliConfig }
  | { readonly kind: "exit"; readonly code: 0 | 2; readonly output: string };

export const PROGRAM_NAME = "iam-auth-proxy";
const DEFAULT_BIND = ":8080";
const DEFAULT_SESSION_NAME = "iam-auth-proxy";

// AWS's own patterns (IAM/STS API reference) for the values we pass to STS.
const sessionNamePattern = /^[\w+=,.@-]{2,64}$/;
const externalIdPattern = /^[\w+=,.@:/-]{2,1224}$/;
const mfaSerialPattern = /^[\w+=/:,.@-]{9,256}$/;
const mfaCodePattern = /^\d{6}$/;
const regionPattern = /^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/;
const methods: readonly LoginMethodPreference[] = ["auto", "sts", "kms"];
const loginFlows: readonly LoginFlow[] = ["proxy", "redirect"];

const stringFlags = [
  "bind",
  "socks-proxy",
  "assume-role-arn",
  "assume-role-external-id",
  "assume-role-session-name",
  "region",
  "mfa-serial-number",
  "mfa-token-code",
  "profile",
  "method",
  "login-flow",
  "ca-dir",
] as const;
type StringFlag = (typeof stringFlags)[number];

/** Reads the version from package.json (dist/proxy/ → the package root). */
export function readPackageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}

/**
 * Parses and checks the command line. Reports every problem at once, each naming its flag.
 *
 * @example parseCliArguments(["--bind", "127.0.0.1:0"], {}) // { kind: "run", config: { bind: "127.0.0.1:0", aws: {} } }
 * @example parseCliArguments(["--mfa-token-code", "123456"], {}).code // 2
 */
export function parseCliArguments(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliParseResult {
  const parser = yargs()
    .scriptName(PROGRAM_NAME)
    .usage(
      `Usage: ${PROGRAM_NAME} [ca] [options]\n\nA local HTTP proxy that signs you in to IAM-protected web apps with your AWS identity.`,
    )
    .parserConfiguration({ "boolean-negation": false, "parse-numbers": false, "dot-notation": false })
    .command(
      "ca",
      "Create the local CA if needed, and print where it is and how to trust it in browsers and tools (edits nothing)",
    )
    .option("bind", {
      type: "string",
      describe: "Address to listen on: :PORT (127.0.0.1 and ::1 only), HOST:PORT or [IPV6]:PORT",
      defaultDescription: DEFAULT_BIND,
    })
    .option("host", {
      type: "string",
      describe:
        "An app to sign in to (repeatable): app.example.com, *.corp.example.com or 10.0.0.5:8443. " +
        "HTTPS to these is decrypted with the local CA; without --host any plain-HTTP app is signed in to and HTTPS is never decrypted",
    })
    .option("upstream-ca", {
      type: "string",
      describe: "PEM file of a CA the --host apps' certificates chain to, besides Node's CAs (repeatable)",
    })
    .option("ca-dir", {
      type: "string",
      describe: "Where the local CA (ca-key.pem, ca-cert.pem) is kept",
      defaultDescription: "~/.iam-auth-proxy",
    })
    .option("socks-proxy", {
      type: "string",
      describe:
        "SOCKS5 proxy HOST:PORT to reach apps through, host names resolved at its side (e.g. ssh -D 1080 bastion)",
    })
    .option("aws-via-socks", {
      type: "boolean",
      describe:
        "Send the proxy's AWS calls (STS, KMS) through --socks-proxy too; by default they go directly",
    })
    .option("assume-role-arn", { type: "string", describe: "IAM role to assume with your credentials" })
    .option("assume-role-external-id", { type: "string", describe: "External ID the role requires" })
    .option("assume-role-session-name", {
      type: "string",
      describe: "Role session name",
      defaultDescription: DEFAULT_SESSION_NAME,
    })
    .option("region", {
      type: "string",
      describe: "AWS region for STS and KMS",
      defaultDescription: "AWS_REGION, AWS_DEFAULT_REGION or the profile, else us-east-1",
    })
    .option("mfa-serial-number", {
      type: "string",
      describe: "MFA device ARN or serial number (for AssumeRole with a role, else GetSessionToken)",
    })
    .option("mfa-token-code", {
      type: "string",
      describe: "The code your MFA device shows now",
      defaultDescription: "asked for on the terminal when AWS needs one",
    })
    .option("method", {
      type: "string",
      describe: "Which proof to give: auto (STS when the app offers it, else KMS), sts or kms",
      defaultDescription: "auto",
    })
    .option("login-flow", {
      type: "string",
      describe:
        "proxy: sign in on the client's behalf and return the page with the session cookie; " +
        "redirect: send the client to the app's /auth with the token, as the original proxy does",
      defaultDescription: "proxy",
    })
    .option("profile", {
      type: "string",
      describe: "AWS profile to use",
      defaultDescription: "AWS_PROFILE, else default",
    })
    .version("version", "Show the version", readPackageVersion())
    .alias("v", "version")
    .help("help", "Show this help")
    .strict()
    .exitProcess(false)
    .fail(false);

  let parsed: Record<string, unknown> | undefined;
  let output = "";
  try {
    // With a callback (and fail(false)) yargs parses synchronously, prints nothing and never exits.
    void parser.parse([...argv], {}, (_error, args, text) => {
      parsed = args;
      output = text;
    });
  } catch (error) {
    return usageError([(error as Error).message]);
  }
  if (parsed === undefined) return usageError(["could not parse the command line"]);
  if (parsed.help === true || parsed.version === true)
    return { kind: "exit", code: 0, output: `${output}\n` };
  const isCaCommand = Array.isArray(parsed._) && parsed._[0] === "ca";
  const problems = isCaCommand
    ? checkCaCommandFlags(parsed, [...stringFlags, ...reachListFlags, "aws-via-socks"])
    : [];
  const result = checkFlags(parsed, env, problems);
  return isCaCommand && result.kind === "run" ? { kind: "ca", config: result.config } : result;
}

function checkFlags(
  args: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): CliParseResult {
  const flags = new Map<StringFlag, string>();
  for (const name of stringFlags) {
    const value = args[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) problems.push(`--${name} was given more than once`);
    else if (typeof value !== "string" || value === "") problems.push(`--${name} needs a value`);
    else flags.set(name, value);
  }
  const flag = (name: StringFlag): string | undefined => flags.get(name);
  const shown = (name: StringFlag): string => JSON.stringify(flag(name));

  const bind = flag("bind") ?? DEFAULT_BIND;
  try {
    parseBindAddress(bind);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const reach = checkReachFlags(args, flag("socks-proxy"), flag("ca-dir"), problems);

  const roleArn = flag("assume-role-arn");
  if (roleArn !== undefined && !isRoleArn(roleArn)) {
    problems.push(
      `--assume-role-arn must be an IAM role ARN like arn:aws:iam::123456789012:role/NAME (got ${shown("assume-role-arn")})`,
    );
  }
  for (const name of ["assume-role-external-id", "assume-role-session-name"] as const) {
    if (flag(name) !== undefined && roleArn === undefined) problems.push(`--${name} needs --assume-role-arn`);
  }
  const externalId = flag("assume-role-external-id");
  if (externalId !== undefined && !externalIdPattern.test(externalId)) {
    problems.push(
      `--assume-role-external-id must be 2 to 1224 characters of letters, digits and +=,.@:/-_ (got ${shown("assume-role-external-id")})`,
    );
  }
  const sessionName = flag("assume-role-session-name");
  if (sessionName !== undefined && !sessionNamePattern.test(sessionName)) {
    problems.push(
      `--assume-role-session-name must be 2 to 64 characters of letters, digits and +=,.@-_ (got ${shown("assume-role-session-name")})`,
    );
  }

  const serialNumber = flag("mfa-serial-number");
  const tokenCode = flag("mfa-token-code");
  if (tokenCode !== undefined && serialNumber === undefined)
    problems.push("--mfa-token-code needs --mfa-serial-number");
  if (serialNumber !== undefined && !mfaSerialPattern.test(serialNumber)) {
    problems.push(
      `--mfa-serial-number must be an MFA device ARN like arn:aws:iam::123456789012:mfa/NAME or a serial number (got ${shown("mfa-serial-number")})`,
    );
  }
  // The code is a one-time secret: never echo it.
  if (tokenCode !== undefined && !mfaCodePattern.test(tokenCode))
    problems.push("--mfa-token-code must be 6 digits");

  const region = flag("region") ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (flag("region") !== undefined && !regionPattern.test(region ?? "")) {
    problems.push(`--region must be an AWS region like us-east-1 (got ${shown("region")})`);
  }
  const method = flag("method") ?? "auto";
  if (!(methods as readonly string[]).includes(method)) {
    problems.push(`--method must be auto, sts or kms (got ${shown("method")})`);
  }
  const loginFlow = flag("login-flow") ?? "proxy";
  if (!(loginFlows as readonly string[]).includes(loginFlow)) {
    problems.push(`--login-flow must be proxy or redirect (got ${shown("login-flow")})`);
  }
  // The SDK's own variables for a custom STS endpoint (a VPC endpoint; the local STS in tests):
  // proofs must point where the SDK would send STS calls.
  const stsEndpointName =
    nonEmpty(env.AWS_ENDPOINT_URL_STS) === undefined ? "AWS_ENDPOINT_URL" : "AWS_ENDPOINT_URL_STS";
  const stsEndpoint = nonEmpty(env[stsEndpointName]);
  if (stsEndpoint !== undefined && !isStsEndpoint(stsEndpoint)) {
    problems.push(
      `${stsEndpointName} must be an http(s) origin such as https://sts.example.internal (got ${JSON.stringify(stsEndpoint)})`,
    );
  }
  if (problems.length > 0) return usageError(problems);

  const mfa =
    serialNumber === undefined
      ? undefined
      : { serialNumber, ...(tokenCode === undefined ? {} : { tokenCode }) };
  const aws: AwsLoginOptions = {
    ...(flag("profile") === undefined ? {} : { profile: flag("profile") }),
    ...(region === undefined ? {} : { region }),
    ...(roleArn === undefined
      ? {}
      : {
          assumeRole: {
            roleArn,
            sessionName: sessionName ?? DEFAULT_SESSION_NAME,
            ...(externalId === undefined ? {} : { externalId }),
          },
        }),
    ...(mfa === undefined ? {} : { mfa }),
    ...(stsEndpoint === undefined ? {} : { stsEndpoint }),
  };
  return {
    kind: "run",
    config: Object.freeze({
      bind,
      method: method as LoginMethodPreference,
      loginFlow: loginFlow as LoginFlow,
      aws: Object.freeze(aws),
      ...reach,
    }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function usageError(problems: readonly string[]): CliParseResult {
  const lines = problems.map((problem) => `${PROGRAM_NAME}: ${problem}`);
  return {
    kind: "exit",
    code: 2,
    output: `${lines.join("\n")}\nRun ${PROGRAM_NAME} --help to see the options.\n`,
  };
}
