import { execFile } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { decodeEncryptionContext, findIamChallenge, type IamChallenge } from "../../../protocol/index.js";
import type { AwsSession } from "../../aws/aws-session.js";
import type {
  AwsCredentials,
  CallerIdentity,
  CredentialSource,
  LoginMethodPreference,
} from "../../aws/types.js";
import { chooseLoginMethod, offeredMethods, type MethodChoice } from "../../signin/login-method.js";
import { ProxyError } from "../../common/errors.js";

/** One line of the checklist. */
export interface CheckResult {
  readonly name: string;
  /** `ok`, `fail` (blocks signing in to this app), or `skip` (does not apply, or cannot be checked here). */
  readonly status: "ok" | "fail" | "skip";
  readonly detail: string;
  /** What to do, for a failure. */
  readonly fix?: string;
}

/** A clock more than this far from STS's makes signatures fail or proofs expire early. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const FETCH_TIMEOUT_MS = 10_000;

const fail = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: "fail",
  detail,
  fix,
});
const failFrom = (name: string, error: unknown): CheckResult => {
  if (!(error instanceof ProxyError)) throw error;
  // ProxyError messages already say what went wrong and what to do.
  return fail(name, `${error.code}: ${error.message}`, "see the message");
};

/** Where the credentials come from, in words (names only, never a secret). */
export function describeSource(source: CredentialSource | undefined): string {
  if (source === undefined) return "found by the AWS SDK";
  const where =
    "profile" in source && source.profile !== undefined
      ? `${source.kind}, profile ${source.profile}`
      : source.kind;
  return source.assumedRole === undefined ? where : `${where}, then role ${source.assumedRole}`;
}

/** The credentials: found, whose, and until when. */
export async function checkCredentials(
  session: AwsSession,
): Promise<{ result: CheckResult; credentials?: AwsCredentials; identity?: CallerIdentity }> {
  const name = "credentials";
  try {
    const credentials = await session.credentials();
    const identity = await session.callerIdentity(credentials);
    const expires =
      credentials.expiration === undefined
        ? "long-term keys"
        : `temporary, expire ${credentials.expiration.toISOString()}`;
    return {
      result: {
        name,
        status: "ok",
        detail: `${identity.arn} (${describeSource(credentials.source)}; ${expires})`,
      },
      credentials,
      identity,
    };
  } catch (error) {
    return { result: failFrom(name, error) };
  }
}

/**
 * This machine's clock against STS's, from the `Date` of an unsigned request to the STS
 * endpoint proofs go to (it answers any request, signed or not, with its time).
 */
export async function checkClock(session: AwsSession, now: () => number = Date.now): Promise<CheckResult> {
  const name = "clock";
  let endpoint: string;
  try {
    endpoint = (await session.stsProofTarget()).endpoint;
  } catch (error) {
    return failFrom(name, error);
  }
  let date: string | null;
  const sent = now();
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    await response.body?.cancel();
    date = response.headers.get("date");
  } catch (error) {
    return fail(
      name,
      `cannot reach ${endpoint} (${(error as Error).message})`,
      "check the network path to STS",
    );
  }
  const theirs = date === null ? Number.NaN : Date.parse(date);
  if (Number.isNaN(theirs)) return { name, status: "skip", detail: `${endpoint} sent no usable Date header` };
  // Date has whole seconds: compare with the middle of the round trip, allowing that second.
  const ours = (sent + now()) / 2;
  const skew = ours - theirs;
  const detail = `${Math.abs(Math.round(skew / 1000))} s ${skew >= 0 ? "ahead of" : "behind"} ${endpoint}`;
  return Math.abs(skew) <= MAX_CLOCK_SKEW_MS + 1000
    ? { name, status: "ok", detail }
    : fail(
        name,
        detail,
        "set the clock right (e.g. timedatectl set-ntp true): AWS refuses signatures more than 5 minutes off",
      );
}

/** What the app at a URL asks for. */
export interface AppChallengeFound {
  readonly result: CheckResult;
  readonly challenge?: IamChallenge;
  /** The method the proxy would answer with; undefined when it would refuse. */
  readonly choice?: MethodChoice;
  readonly headers?: Headers;
}

/** The app's challenge at `url`: a 401 IAM challenge, for the address used, with a usable auth path. */
export async function checkAppChallenge(
  url: URL,
  preference: LoginMethodPreference,
): Promise<AppChallengeFound> {
  const name = "app challenge";
  let response: Response;
  try {
    response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    await response.body?.cancel();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return {
      result: fail(
        name,
        `cannot reach ${url.origin} (${cause})`,
        "check the URL, and --socks-proxy if the app is in a VPC",
      ),
    };
  }
  if (response.status !== 401) {
    return {
      result: fail(
        name,
        `${url.href} answered ${response.status}, not the 401 IAM challenge`,
        "check the URL: the app must answer a request without a session with 401 WWW-Authenticate: IAM realm=…",
      ),
    };
  }
  const field = response.headers.get("www-authenticate");
  const lookup = findIamChallenge(field === null ? [] : [field]);
  if (lookup.kind === "none") {
    return {
      result: fail(
        name,
        `401 without an IAM challenge (WWW-Authenticate: ${field ?? "none"})`,
        "the app is not protected by iamAuth or the gateway",
      ),
    };
  }
  if (lookup.kind === "invalid") {
    return {
      result: fail(name, lookup.error.message, "the app's challenge is malformed: tell its operator"),
    };
  }
  const { challenge } = lookup;
  // The proxy's own decision (method, nonce, server-id for the address used), not a second copy.
  let choice: MethodChoice;
  try {
    choice = chooseLoginMethod(
      preference,
      challenge.params,
      url.host,
      url.protocol === "https:" ? "https" : "http",
    );
  } catch (error) {
    return { result: failFrom(name, error), challenge, headers: response.headers };
  }
  const serverId = challenge.params.get("server-id");
  return {
    result: {
      name,
      status: "ok",
      detail:
        `account ${challenge.realm}, offers ${offeredMethods(challenge.params).join(" and ")}, the proxy would use ${choice.method}` +
        `${serverId === undefined ? "" : `, server-id ${serverId}`}, auth path ${challenge.authPath ?? "/auth"}`,
    },
    challenge,
    choice,
    headers: response.headers,
  };
}

/**
 * The KMS method's two calls, for an app that offers only KMS (or with --method kms):
 * GetSessionToken (long-term IAM user keys, and the MFA code if required), and kms:Encrypt with
 * the app's key and encryption context.
 */
export async function checkKms(
  session: AwsSession,
  credentials: AwsCredentials,
  headers: Headers,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  try {
    const issued = await session.sessionCredentials(credentials);
    results.push({
      name: "GetSessionToken",
      status: "ok",
      detail: `session credentials until ${new Date(issued.expiration).toISOString()}`,
    });
  } catch (error) {
    results.push(failFrom("GetSessionToken", error));
  }
  const keyId = headers.get("iam-auth-kms-key-id");
  const contextHeader = headers.get("iam-auth-kms-encryption-context");
  if (keyId === null || contextHeader === null) {
    results.push(
      fail(
        "kms:Encrypt",
        "the app's challenge names no KMS key or encryption context",
        "tell the app's operator",
      ),
    );
    return results;
  }
  try {
    const encryptionContext = decodeEncryptionContext(contextHeader);
    await session.deps.kms.encrypt({ keyId, plaintext: new Uint8Array([0]), encryptionContext });
    results.push({ name: "kms:Encrypt", status: "ok", detail: `allowed with key ${keyId}` });
  } catch (error) {
    if (error instanceof ProxyError || !(error instanceof Error)) {
      results.push(failFrom("kms:Encrypt", error));
    } else {
      results.push(
        fail(
          "kms:Encrypt",
          `with key ${keyId}: ${error.name}: ${error.message.split("\n")[0] ?? ""}`,
          "your IAM policy and the key policy must allow kms:Encrypt on it (iam-auth-proxy policy --method kms --key-arn …)",
        ),
      );
    }
  }
  return results;
}

/**
 * Whether Chrome/Chromium on Linux trusts the local CA: its certificate, by SHA-256 fingerprint,
 * among the certificates of the NSS database in ~/.pki/nssdb (what `iam-auth-proxy ca` says to run).
 */
export async function checkCaTrust(caCertPath: string, home: string = homedir()): Promise<CheckResult> {
  const name = "local CA trusted";
  const nssdb = join(home, ".pki", "nssdb");
  const fingerprint = fingerprintOf(readFileSync(caCertPath, "utf8"));
  if (!existsSync(nssdb)) {
    return fail(
      name,
      `no NSS database at ${nssdb}`,
      "run iam-auth-proxy ca and follow its Chrome/Chromium step",
    );
  }
  const run = promisify(execFile);
  let listing: string;
  try {
    listing = (await run("certutil", ["-L", "-d", `sql:${nssdb}`])).stdout;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? {
          name,
          status: "skip",
          detail: "certutil is not installed (apt-get install libnss3-tools) to look in the browser's store",
        }
      : fail(
          name,
          `certutil could not read ${nssdb}`,
          "run iam-auth-proxy ca and follow its Chrome/Chromium step",
        );
  }
  // certutil -L prints "Nickname   Trust" rows after a two-line header; nicknames may hold spaces.
  const nicknames = listing
    .split("\n")
    .slice(3)
    .map((line) => line.replace(/\s+\S*,\S*,\S*\s*$/, "").trim())
    .filter((nick) => nick !== "");
  for (const nickname of nicknames) {
    try {
      const pem = (await run("certutil", ["-L", "-d", `sql:${nssdb}`, "-n", nickname, "-a"])).stdout;
      if (fingerprintOf(pem) === fingerprint)
        return { name, status: "ok", detail: `as "${nickname}" in ${nssdb}` };
    } catch {
      // A nickname certutil cannot export is not ours.
    }
  }
  return fail(name, `not in ${nssdb}`, "run iam-auth-proxy ca and follow its Chrome/Chromium step");
}

function fingerprintOf(pem: string): string {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] ?? "";
  return createHash("sha256").update(new X509Certificate(first).raw).digest("hex");
}
