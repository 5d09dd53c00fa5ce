import type { AwsLoginOptions } from "../../aws/aws-login.js";
import type { LogFormat } from "../../common/log.js";
import type { LoginFlow, LoginMethodPreference } from "../../aws/types.js";
import { parseBindAddress, type BindAddress } from "../../http/bind-address.js";
import type { CliEnvironment } from "../command.js";
import { DEFAULT_BIND, DEFAULT_UPSTREAM_TIMEOUT_SECONDS } from "../flags/flag-table.js";
import type { FlagReader, Given } from "../flags/flag-values.js";
import { readAwsOptions } from "./aws-options.js";
import { readReachOptions, type ReachOptions } from "./reach-options.js";

/** What the proxy runs with: every flag of the run command, typed. */
export interface RunOptions extends ReachOptions {
  /** `--bind`, default `:8080`: forward mode's address, or a lone `--upstream`'s. */
  readonly bind: BindAddress;
  readonly method: LoginMethodPreference;
  readonly loginFlow: LoginFlow;
  /** `--upstream-timeout`, in ms. */
  readonly upstreamTimeoutMs: number;
  /** `--allow-other-users`: serve every local OS user, not only the proxy's own. */
  readonly allowOtherUsers: boolean;
  /** Without `aws.mfa.tokenCode`, the code is asked for on the terminal. */
  readonly aws: AwsLoginOptions;
  /** `--log-format`, default text. */
  readonly logFormat: LogFormat;
}

const methods: readonly LoginMethodPreference[] = ["auto", "sts", "kms"];
const loginFlows: readonly LoginFlow[] = ["proxy", "redirect"];
const logFormats: readonly LogFormat[] = ["text", "json"];
// Up to milliseconds: 0.5 is half a second; 600 s is what createProxyServer allows at most.
const secondsPattern = /^\d+(?:\.\d{1,3})?$/;
const MAX_UPSTREAM_TIMEOUT_SECONDS = 600;

/**
 * Reads the run command's flags into RunOptions, reporting every problem to `flags`.
 *
 * @example readRunOptions(flags, process.env).bind // { kind: "loopback", port: 8080 }
 */
export function readRunOptions(flags: FlagReader, env: CliEnvironment): RunOptions {
  const bind = readBindFlag(flags);
  const reach = readReachOptions(flags, bind);
  const method = readChoice(flags, "method", methods) ?? "auto";
  const loginFlow = readChoice(flags, "login-flow", loginFlows) ?? "proxy";
  const upstreamTimeoutMs = readUpstreamTimeoutMs(flags);
  const aws = readAwsOptions(flags, env);
  const allowOtherUsers = flags.boolean("allow-other-users")?.value === true;
  const logFormat = readChoice(flags, "log-format", logFormats) ?? "text";
  return Object.freeze({
    bind: bind?.value ?? parseBindAddress(DEFAULT_BIND),
    ...reach,
    method,
    loginFlow,
    upstreamTimeoutMs,
    allowOtherUsers,
    aws,
    logFormat,
  });
}

/**
 * Reads `--bind` (the run and ca commands take it), reporting a bad value to `flags`.
 *
 * @example readBindFlag(flags) // { value: { kind: "loopback", port: 9000 }, name: "--bind" }
 */
export function readBindFlag(flags: FlagReader): Given<BindAddress> | undefined {
  const given = flags.text("bind");
  if (given === undefined) return undefined;
  try {
    return { value: parseBindAddress(given.value), name: given.name };
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    flags.report(`${given.name} ${error.message}`);
    return undefined;
  }
}

function readChoice<T extends string>(flags: FlagReader, name: string, choices: readonly T[]): T | undefined {
  const given = flags.text(name);
  if (given === undefined) return undefined;
  const choice = choices.find((each) => each === given.value);
  if (choice === undefined) {
    const listed = `${choices.slice(0, -1).join(", ")} or ${choices.at(-1) ?? ""}`;
    flags.report(`${given.name} must be ${listed} (got ${JSON.stringify(given.value)})`);
  }
  return choice;
}

function readUpstreamTimeoutMs(flags: FlagReader): number {
  const given = flags.text("upstream-timeout");
  if (given === undefined) return DEFAULT_UPSTREAM_TIMEOUT_SECONDS * 1000;
  const seconds = secondsPattern.test(given.value) ? Number(given.value) : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_UPSTREAM_TIMEOUT_SECONDS)) {
    flags.report(
      `${given.name} must be a number of seconds above 0 and at most ${MAX_UPSTREAM_TIMEOUT_SECONDS} (got ${JSON.stringify(given.value)})`,
    );
    return DEFAULT_UPSTREAM_TIMEOUT_SECONDS * 1000;
  }
  return Math.round(seconds * 1000);
}
