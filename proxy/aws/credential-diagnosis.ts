import { join } from "node:path";
import { ProxyError, toOneLine } from "../common/errors.js";
import type { ChildProcessRun } from "./child-process-watch.js";

/** What is known of a failed lookup besides the SDK's error. */
export interface CredentialFailureContext {
  /** The profile the proxy was given (`--profile`); undefined: AWS_PROFILE, else `default`, as the SDK chooses. */
  readonly profile: string | undefined;
  /** The child processes the lookup ran (a profile's credential_process), see watchChildProcesses. */
  readonly runs: readonly ChildProcessRun[];
  /** The current time, for an SSO session's expiry. */
  readonly now: Date;
}

/** A profile as the SDK's loader reads it: its keys and values, never shown (they may be secret). */
type Profile = Readonly<Record<string, string | undefined>>;

// Keys of the config file's sections that are not profiles (the SDK's loader keeps them beside the profiles).
const nonProfilePrefixes = ["sso-session.", "services."];
// A profile with none of these gives the SDK nothing to sign with.
const credentialKeys = [
  "aws_access_key_id",
  "role_arn",
  "credential_process",
  "sso_session",
  "sso_start_url",
  "web_identity_token_file",
  "login_session",
];
const LOOK_AGAIN = "no restart needed, the proxy looks again within a second";

/**
 * Says why the AWS SDK's default chain found no credentials, and what to do, as a 503
 * NO_CREDENTIALS. The SDK's last error is often only "Could not load credentials from any
 * providers", so this looks at what the chain looked at: the shared config and credentials files
 * (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, read again now), the profile's SSO token cache
 * and the credential_process runs. In this order:
 * - a credential_process that failed: its exit code (or signal) and the first line of its stderr;
 *   one that succeeded but printed no usable credentials: what it must print;
 * - a profile named (`--profile`, AWS_PROFILE) that is in neither file: the files, and the profiles that are;
 * - an SSO profile with no cached token, or an expired one: `aws sso login --profile X`;
 * - a profile with no credentials in it: `aws configure --profile X`;
 * - nothing at all: where the chain looked, and `aws configure` / `aws configure sso`;
 * - else the SDK's own words. Never a key, token, or a value of the files.
 *
 * @example (await diagnoseCredentialFailure(sdkError, { profile: "nosuch", runs: [], now: new Date() })).message
 * // 'No AWS credentials: profile "nosuch" is in neither /home/me/.aws/config nor /home/me/.aws/credentials. Run `aws configure --profile nosuch` (or …), or use one of the profiles there: default, work; the proxy looks again …'
 */
export async function diagnoseCredentialFailure(
  error: unknown,
  context: CredentialFailureContext,
): Promise<ProxyError> {
  const fail = (message: string): ProxyError => new ProxyError("NO_CREDENTIALS", message, { cause: error });
  const { loadSharedConfigFiles, getHomeDir, getSSOTokenFilepath } = await import("@smithy/core/config");
  const envProfile = process.env.AWS_PROFILE || undefined;
  const name = context.profile || envProfile || "default";
  const named = context.profile ? "" : envProfile === undefined ? "" : " (AWS_PROFILE)";
  const profileText = `profile "${name}"${named}`;
  // Where the SDK reads them (its getConfigFilepath and getCredentialsFilepath, with "~/" expanded).
  const home = getHomeDir();
  const expand = (path: string): string => (path.startsWith("~/") ? join(home, path.slice(2)) : path);
  const configPath = expand(process.env.AWS_CONFIG_FILE || join(home, ".aws", "config"));
  const credentialsPath = expand(
    process.env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials"),
  );

  const failedRun = [...context.runs].reverse().find((run) => run.exitCode !== 0);
  if (failedRun !== undefined) {
    const ended =
      failedRun.exitCode === undefined
        ? "did not finish"
        : failedRun.exitCode === null
          ? `was ended by ${failedRun.signal ?? "a signal"}`
          : `exited with code ${failedRun.exitCode}`;
    const said =
      failedRun.firstStderrLine === "" ? " and wrote nothing to stderr" : `: ${failedRun.firstStderrLine}`;
    return fail(
      `No AWS credentials: the credential_process of ${profileText} (in ${configPath}) ${ended}${said}. ` +
        `Fix what it reports, or run that command yourself to see more; ${LOOK_AGAIN}`,
    );
  }

  const files = await loadSharedConfigFiles({ ignoreCache: true });
  const profiles = new Map<string, Profile>();
  for (const [key, values] of Object.entries(files.credentialsFile)) profiles.set(key, values);
  for (const [key, values] of Object.entries(files.configFile)) {
    if (nonProfilePrefixes.some((prefix) => key.startsWith(prefix))) continue;
    profiles.set(key, { ...profiles.get(key), ...values });
  }
  const inFiles = `${configPath} nor ${credentialsPath}`;
  const profile = profiles.get(name);

  if (profile === undefined && (context.profile || envProfile !== undefined)) {
    const others = [...profiles.keys()].sort();
    const choice =
      others.length === 0
        ? "; neither file has a profile yet"
        : `, or use one of the profiles there: ${others.slice(0, 10).join(", ")}${others.length > 10 ? ", …" : ""}`;
    return fail(
      `No AWS credentials: ${profileText} is in neither ${inFiles}. ` +
        `Run \`aws configure --profile ${name}\` (or \`aws configure sso --profile ${name}\`)${choice}; ${LOOK_AGAIN}`,
    );
  }

  if (profile?.credential_process !== undefined && context.runs.some((run) => run.exitCode === 0)) {
    // It ran and succeeded, so what it printed was not what the SDK takes (never shown: it may hold keys).
    return fail(
      `No AWS credentials: the credential_process of ${profileText} (in ${configPath}) succeeded, but did not print ` +
        'usable credentials: JSON with "Version": 1, "AccessKeyId" and "SecretAccessKey" (and an "Expiration" in the ' +
        `future, if any). Run that command yourself to see what it prints; ${LOOK_AGAIN}`,
    );
  }

  if (profile !== undefined) {
    const ssoId = profile.sso_session ?? profile.sso_start_url;
    if (ssoId !== undefined) {
      const login = `Run \`aws sso login --profile ${name}\`; ${LOOK_AGAIN}`;
      const expiresAt = await readSsoTokenExpiry(getSSOTokenFilepath(ssoId));
      if (expiresAt === undefined) {
        return fail(
          `No AWS credentials: ${profileText} signs in with SSO, and there is no SSO session. ${login}`,
        );
      }
      if (expiresAt.getTime() <= context.now.getTime()) {
        return fail(
          `No AWS credentials: the SSO session of ${profileText} expired at ${expiresAt.toISOString()}. ${login}`,
        );
      }
    }
    if (!credentialKeys.some((key) => profile[key] !== undefined)) {
      return fail(
        `No AWS credentials: ${profileText} (in ${configPath} or ${credentialsPath}) has no credentials in it. ` +
          `Run \`aws configure --profile ${name}\` (access keys) or \`aws configure sso --profile ${name}\`; ${LOOK_AGAIN}`,
      );
    }
  }

  if (profile === undefined) {
    return fail(
      `No AWS credentials found in the environment (AWS_ACCESS_KEY_ID), ${configPath}, ${credentialsPath} ` +
        "or a container or instance role. Run `aws configure` (access keys) or `aws configure sso`, " +
        `or name a profile with --profile or AWS_PROFILE; ${LOOK_AGAIN}`,
    );
  }
  const sdkWords = error instanceof Error ? toOneLine(error.message, 200) : "unknown error";
  return fail(
    `No usable AWS credentials from ${profileText} (${sdkWords}). Check the profile in ${configPath} and ${credentialsPath}; ${LOOK_AGAIN}`,
  );
}

/**
 * When the SSO token `aws sso login` cached expires; undefined when there is none or it cannot be
 * read. Only `expiresAt` is read: the token itself is a secret.
 */
async function readSsoTokenExpiry(path: string): Promise<Date | undefined> {
  const { readFile } = await import("node:fs/promises");
  try {
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    const expiresAt =
      typeof parsed === "object" && parsed !== null && "expiresAt" in parsed ? parsed.expiresAt : undefined;
    const date = typeof expiresAt === "string" ? new Date(expiresAt) : undefined;
    return date === undefined || Number.isNaN(date.getTime()) ? undefined : date;
  } catch {
    // No file (never signed in), or unreadable: either way there is no session to use.
    return undefined;
  }
}
