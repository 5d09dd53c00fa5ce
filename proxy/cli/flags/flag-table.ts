/**
 * How a flag's value is read: once-only text, a number (kept as text until checked, so a bad
 * one can be shown as typed), a repeatable list, or an on/off switch.
 */
export type FlagKind = "text" | "number" | "list" | "boolean";

/** One flag of the command: how it is read, and how --help, the environment and a config file name it. */
export interface FlagSpec {
  /** As on the command line without the dashes, e.g. `socks-proxy`; also its key in a config file. */
  readonly name: string;
  readonly kind: FlagKind;
  /** A one-letter alias, e.g. `v` for --version. */
  readonly alias?: string;
  /** The --help heading it is listed under. */
  readonly group: string;
  readonly describe: string;
  /** What applies when it is not given, as --help shows it. */
  readonly defaultDescription?: string;
  /** A file or directory: in a config file, relative to the file's own directory. */
  readonly path?: boolean;
  /** A one-time secret: no message shows its value. */
  readonly secret?: boolean;
  /** Only on the command line (--help, --version), or also from the environment but not a file (--config). */
  readonly only?: "command line" | "not in a file";
  /** The one command that takes it (e.g. `policy`); the proxy itself does not. */
  readonly command?: string;
}

export const PROGRAM_NAME = "iam-auth-proxy";
/** `IAM_AUTH_PROXY_BIND` for --bind: every flag but --help and --version can come from the environment. */
export const ENV_PREFIX = "IAM_AUTH_PROXY_";
export const DEFAULT_BIND = ":8080";
export const DEFAULT_SESSION_NAME = "iam-auth-proxy";
export const DEFAULT_UPSTREAM_TIMEOUT_SECONDS = 30;

const listens = "Where the proxy listens";
const reverse = "Reverse mode (no browser proxy settings)";
const reach = "Reaching apps";
const identity = "Your AWS identity";
const signIn = "Signing in";
const options = "Options";

/** Every flag, in the order --help lists them. */
export const allFlags: readonly FlagSpec[] = [
  {
    name: "bind",
    kind: "text",
    group: listens,
    describe:
      "[HOST]:PORT to listen on. :PORT is 127.0.0.1 and ::1 only (loopback); HOST:PORT or [IPV6]:PORT is " +
      "exactly that address (0.0.0.0: every interface)",
    defaultDescription: DEFAULT_BIND,
  },
  {
    name: "allow-other-users",
    kind: "boolean",
    group: listens,
    describe:
      "Serve every OS user of this machine. By default a connection on loopback is served only when it " +
      "comes from your own user (Linux, from /proc/net/tcp): any account can reach 127.0.0.1 and would " +
      "otherwise be signed in to apps as you",
  },
  {
    name: "upstream",
    kind: "list",
    group: reverse,
    describe:
      "URL[=[HOST]:PORT], repeatable: serve this app (an http(s) origin, no path) at a local address the " +
      "browser opens directly, with no proxy settings and no CA to trust; the proxy reaches the app (over " +
      "verified TLS for https) and signs you in. One --upstream listens on --bind; with several, each " +
      "names its own local address after = and --bind is not used. Not with --host; with --socks-proxy the apps are reached through it. " +
      "E.g. --upstream https://a.corp.example.com=:8081 --upstream https://b.corp.example.com=:8082",
  },
  {
    name: "host",
    kind: "list",
    group: reach,
    describe:
      "PATTERN, repeatable: an app to sign in to, as in app.example.com, *.corp.example.com or " +
      "10.0.0.5:8443. HTTPS to these is decrypted with the local CA; without --host any plain-HTTP app is " +
      "signed in to and HTTPS is never decrypted",
  },
  {
    name: "kms-host",
    kind: "list",
    group: reach,
    describe:
      "PATTERN, repeatable: an app besides the --host ones that may receive a KMS proof (your temporary " +
      "AWS credentials, encrypted for it). Any other app's KMS challenge is refused: it could replay the " +
      "proof at another app as you. STS proofs need no such list",
  },
  {
    name: "upstream-ca",
    kind: "list",
    group: reach,
    path: true,
    describe:
      "FILE, repeatable: PEM file of a CA the --host or --upstream apps' certificates chain to, besides Node's CAs",
  },
  {
    name: "ca-dir",
    kind: "text",
    group: reach,
    path: true,
    describe: "DIR to keep the local CA in (ca-key.pem, ca-cert.pem)",
    defaultDescription: "~/.iam-auth-proxy",
  },
  {
    name: "socks-proxy",
    kind: "text",
    group: reach,
    describe:
      "HOST:PORT of a SOCKS5 proxy to reach apps through, host names resolved at its side (e.g. ssh -D 1080 bastion)",
  },
  {
    name: "aws-via-socks",
    kind: "boolean",
    group: reach,
    describe: "Send the proxy's AWS calls (STS, KMS) through --socks-proxy too; by default they go directly",
  },
  {
    name: "upstream-timeout",
    kind: "number",
    group: reach,
    describe: "SECONDS an app may take to begin its answer (its status and headers), up to 600",
    defaultDescription: String(DEFAULT_UPSTREAM_TIMEOUT_SECONDS),
  },
  {
    name: "profile",
    kind: "text",
    group: identity,
    describe: "NAME of the AWS profile to use",
    defaultDescription: "AWS_PROFILE, else default",
  },
  {
    name: "region",
    kind: "text",
    group: identity,
    describe: "AWS REGION for STS and KMS",
    defaultDescription: "AWS_REGION, AWS_DEFAULT_REGION or the profile's, else us-east-1",
  },
  {
    name: "assume-role-arn",
    kind: "text",
    group: identity,
    describe: "ARN of an IAM role to assume with your credentials",
  },
  {
    name: "assume-role-external-id",
    kind: "text",
    group: identity,
    describe: "ID: the external ID the role requires",
  },
  {
    name: "assume-role-session-name",
    kind: "text",
    group: identity,
    describe: "NAME of the role session",
    defaultDescription: DEFAULT_SESSION_NAME,
  },
  {
    name: "mfa-serial-number",
    kind: "text",
    group: identity,
    describe: "ARN or serial number of your MFA device (for AssumeRole with a role, else GetSessionToken)",
  },
  {
    name: "mfa-token-code",
    kind: "text",
    secret: true,
    group: identity,
    describe: "CODE: the 6 digits your MFA device shows now",
    defaultDescription: "asked for on the terminal when AWS needs one",
  },
  {
    name: "method",
    kind: "text",
    group: signIn,
    describe: "auto, sts or kms: the proof to give. auto gives STS when the app offers it, else KMS",
    defaultDescription: "auto",
  },
  {
    name: "login-flow",
    kind: "text",
    group: signIn,
    describe:
      "proxy or redirect. proxy signs in on the client's behalf and returns the page with the session cookie; " +
      "redirect sends the client to the app's /auth with the token, as the original proxy does",
    defaultDescription: "proxy",
  },
  {
    name: "log-format",
    kind: "text",
    group: options,
    describe:
      "text or json: how events are written (stdout, warnings on stderr). text: <time> <event> key=value lines; " +
      "json: one JSON object per line (pino: level, time, event and the event's fields) for a log collector",
    defaultDescription: "text",
  },
  {
    name: "config",
    kind: "text",
    group: options,
    only: "not in a file",
    describe:
      "FILE (JSON or YAML) to read flags from: its keys are the flag names, a list for a repeatable flag",
  },
  {
    name: "version",
    kind: "boolean",
    alias: "v",
    group: options,
    only: "command line",
    describe: "Show the version",
  },
  {
    name: "help",
    kind: "boolean",
    alias: "h",
    group: options,
    only: "command line",
    describe: "Show this help",
  },
  {
    name: "key-arn",
    kind: "text",
    group: options,
    command: "policy",
    describe: "ARN of the app's KMS key (a key, not an alias), for the KMS method's policies",
    defaultDescription: "a placeholder to fill in",
  },
  {
    name: "people-account",
    kind: "text",
    group: options,
    command: "policy",
    describe: "ACCOUNT the people sign in from, when it is not the key's (adds the key policy statement)",
  },
  {
    name: "format",
    kind: "text",
    group: options,
    command: "token",
    describe:
      "header: `Authorization: IAM <token>` (for curl -H); value: `IAM <token>`; json: both, the token, method and identity",
    defaultDescription: "header",
  },
  {
    name: "proof-header",
    kind: "text",
    group: options,
    command: "token",
    describe:
      "the header the app reads proofs from, when its Authorization is its own (the app's headerProof.header)",
    defaultDescription: "Authorization",
  },
  {
    name: "server",
    kind: "boolean",
    group: options,
    command: "policy",
    describe: "print the app server's side (its IAM policy, the key policy) instead of the person's",
  },
];

const flagsByName = new Map(allFlags.map((flag) => [flag.name, flag]));

/** The flag named `name` (without dashes), or undefined. */
export function findFlag(name: string): FlagSpec | undefined {
  return flagsByName.get(name);
}

/** The flag named `name`, which the caller knows is in the table. */
export function requireFlag(name: string): FlagSpec {
  const flag = flagsByName.get(name);
  if (flag === undefined) throw new TypeError(`requireFlag: no flag ${name}`);
  return flag;
}

/**
 * The environment variable a flag can also be given as.
 *
 * @example envVariableFor("socks-proxy") // "IAM_AUTH_PROXY_SOCKS_PROXY"
 */
export function envVariableFor(name: string): string {
  return `${ENV_PREFIX}${name.toUpperCase().replaceAll("-", "_")}`;
}
