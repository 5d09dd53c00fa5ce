import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isRoleArn, isStsEndpoint, type AwsLoginOptions } from "../aws/aws-login.js";
import { parseBindAddress } from "../http/bind-address.js";
import {
  allFlags,
  DEFAULT_BIND,
  DEFAULT_SESSION_NAME,
  parseArgsOptions,
  PROGRAM_NAME,
  renderHelp,
  type FlagSpec,
} from "./cli-flags.js";
import { checkCaCommandFlags, checkReachFlags, type ReachFlags } from "./cli-reach-flags.js";
import type { LoginFlow, LoginMethodPreference } from "../aws/types.js";

export { PROGRAM_NAME } from "./cli-flags.js";

/**
 * What the proxy runs with, from the command line (and AWS_REGION / AWS_DEFAULT_REGION,
 * AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL).
 */
export interface CliConfig extends ReachFlags {
  /** Checked with parseBindAddress; `:8080` when not given. */
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

// AWS's own patterns (IAM/STS API reference) for the values we pass to STS.
const sessionNamePattern = /^[\w+=,.@-]{2,64}$/;
const externalIdPattern = /^[\w+=,.@:/-]{2,1224}$/;
const mfaSerialPattern = /^[\w+=/:,.@-]{9,256}$/;
const mfaCodePattern = /^\d{6}$/;
const regionPattern = /^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/;
const methods: readonly LoginMethodPreference[] = ["auto", "sts", "kms"];
const loginFlows: readonly LoginFlow[] = ["proxy", "redirect"];

/** The string flags that may be given once (the repeatable ones are read by checkReachFlags). */
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
const flagsByName = new Map(allFlags.map((flag) => [flag.name, flag]));

/** Reads the version from package.json (dist/proxy/cli/ → the package root). */
export function readPackageVersion(): string {
  const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}

/**
 * Parses and checks the command line. Reports every problem at once, each naming its flag.
 *
 * @example parseCliArguments(["--bind", "127.0.0.1:0"], {}) // { kind: "run", config: { bind: "127.0.0.1:0", aws: {}, upstreams: [], … } }
 * @example parseCliArguments(["--mfa-token-code", "123456"], {}).code // 2
 */
export function parseCliArguments(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliParseResult {
  const problems: string[] = [];
  const { args, command } = readArguments(argv, problems);
  if (args.help === true) return { kind: "exit", code: 0, output: renderHelp() };
  if (args.version === true) return { kind: "exit", code: 0, output: `${readPackageVersion()}\n` };
  // In the order given on the command line.
  if (command === "ca") problems.push(...checkCaCommandFlags(args, Object.keys(args)));
  const result = checkFlags(args, env, problems);
  return command === "ca" && result.kind === "run" ? { kind: "ca", config: result.config } : result;
}

/**
 * Reads the command line with Node's parseArgs: each string flag's values as a list, `true` for
 * a boolean flag given, and the command (`ca`) if any. Anything parseArgs reads that is not one of
 * ours is a problem: an unknown flag, a string flag with no value, a value on a boolean flag, an
 * argument other than the command.
 */
function readArguments(
  argv: readonly string[],
  problems: string[],
): { readonly args: Record<string, string[] | true>; readonly command: "ca" | undefined } {
  // Not strict: parseArgs would stop at the first problem, and word it for Node, not for us.
  const { tokens } = parseArgs({
    args: [...argv],
    options: parseArgsOptions(),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const args: Record<string, string[] | true> = {};
  let command: "ca" | undefined;
  let positionals = 0;
  for (const token of tokens) {
    if (token.kind === "positional") {
      if (positionals++ === 0 && token.value === "ca") command = "ca";
      else problems.push(`Unknown argument: ${token.value}`);
      continue;
    }
    if (token.kind !== "option") continue;
    const flag: FlagSpec | undefined = flagsByName.get(token.name);
    if (flag === undefined) {
      problems.push(`Unknown argument: ${token.rawName.replace(/^--?/, "")}`);
    } else if (flag.type === "boolean") {
      if (token.inlineValue === true) problems.push(`--${flag.name} takes no value`);
      else args[flag.name] = true;
    } else {
      const problem = describeMissingValue(flag.name, token.value, token.inlineValue === true);
      if (problem !== undefined) problems.push(problem);
      else {
        const values = args[flag.name];
        args[flag.name] = [...(Array.isArray(values) ? values : []), token.value ?? ""];
      }
    }
  }
  return { args, command };
}

/** Why a string flag's value is missing, or undefined when it has one. */
function describeMissingValue(name: string, value: string | undefined, inline: boolean): string | undefined {
  if (value === undefined || value === "") return `--${name} needs a value`;
  // parseArgs takes the next argument whatever it is: `--bind --profile work` would bind "--profile".
  if (!inline && value.length > 1 && value.startsWith("-")) {
    return `--${name} needs a value (got the flag ${JSON.stringify(value)}; write --${name}=VALUE for a value that starts with "-")`;
  }
  return undefined;
}

function checkFlags(
  args: Readonly<Record<string, string[] | true>>,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): CliParseResult {
  const flags = new Map<StringFlag, string>();
  for (const name of stringFlags) {
    const values = args[name];
    if (!Array.isArray(values) || values[0] === undefined) continue;
    if (values.length > 1) problems.push(`--${name} was given more than once`);
    else flags.set(name, values[0]);
  }
  const flag = (name: StringFlag): string | undefined => flags.get(name);
  const shown = (name: StringFlag): string => JSON.stringify(flag(name));

  const bind = flag("bind") ?? DEFAULT_BIND;
  try {
    parseBindAddress(bind);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const reach = checkReachFlags(
    args,
    { bind: flag("bind"), socksProxy: flag("socks-proxy"), caDir: flag("ca-dir") },
    problems,
  );

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
