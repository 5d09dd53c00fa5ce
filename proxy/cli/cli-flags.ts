import type { ParseArgsConfig } from "node:util";

/** One command-line flag: how parseArgs reads it and how --help shows it. */
export interface FlagSpec {
  readonly name: string;
  readonly type: "string" | "boolean";
  /** May be given more than once (each value is kept); other string flags may be given once. */
  readonly repeatable?: boolean;
  /** A one-letter alias, e.g. `v` for --version. */
  readonly short?: string;
  /** What the value looks like in --help, e.g. `[HOST]:PORT`. */
  readonly value?: string;
  readonly describe: string;
  /** Lines shown as they are under the description (examples), never wrapped. */
  readonly examples?: readonly string[];
  /** What applies when the flag is not given. */
  readonly defaultDescription?: string;
}

export const PROGRAM_NAME = "iam-auth-proxy";
export const DEFAULT_BIND = ":8080";
export const DEFAULT_SESSION_NAME = "iam-auth-proxy";

/** Every flag, in the order --help lists them, grouped under headings. */
export const flagGroups: readonly { readonly heading: string; readonly flags: readonly FlagSpec[] }[] = [
  {
    heading: "Where the proxy listens",
    flags: [
      {
        name: "bind",
        type: "string",
        value: "[HOST]:PORT",
        describe: "Address to listen on: :PORT (127.0.0.1 and ::1 only), HOST:PORT or [IPV6]:PORT",
        defaultDescription: DEFAULT_BIND,
      },
    ],
  },
  {
    heading: "Reverse mode (no browser proxy settings)",
    flags: [
      {
        name: "upstream",
        type: "string",
        repeatable: true,
        value: "URL[=[HOST]:PORT]",
        describe:
          "Serve this app (an http(s) origin, no path) at a local address the browser opens directly, " +
          "with no proxy settings and no CA to trust; the proxy reaches the app (over verified TLS for https) " +
          "and signs you in. One --upstream listens on --bind; with several, each names its own local address " +
          "after = and --bind is not used. Not with --host or --socks-proxy (yet)",
        examples: [
          "--upstream https://app.corp.example.com                (http://127.0.0.1:8080/)",
          "--upstream https://a.corp.example.com=:8081 --upstream https://b.corp.example.com=:8082",
        ],
      },
    ],
  },
  {
    heading: "Reaching apps",
    flags: [
      {
        name: "host",
        type: "string",
        repeatable: true,
        value: "PATTERN",
        describe:
          "An app to sign in to: app.example.com, *.corp.example.com or 10.0.0.5:8443. " +
          "HTTPS to these is decrypted with the local CA; without --host any plain-HTTP app is signed in to " +
          "and HTTPS is never decrypted",
      },
      {
        name: "upstream-ca",
        type: "string",
        repeatable: true,
        value: "FILE",
        describe: "PEM file of a CA the --host or --upstream apps' certificates chain to, besides Node's CAs",
      },
      {
        name: "ca-dir",
        type: "string",
        value: "DIR",
        describe: "Where the local CA (ca-key.pem, ca-cert.pem) is kept",
        defaultDescription: "~/.iam-auth-proxy",
      },
      {
        name: "socks-proxy",
        type: "string",
        value: "HOST:PORT",
        describe:
          "SOCKS5 proxy to reach apps through, host names resolved at its side (e.g. ssh -D 1080 bastion)",
      },
      {
        name: "aws-via-socks",
        type: "boolean",
        describe:
          "Send the proxy's AWS calls (STS, KMS) through --socks-proxy too; by default they go directly",
      },
    ],
  },
  {
    heading: "Your AWS identity",
    flags: [
      {
        name: "profile",
        type: "string",
        value: "NAME",
        describe: "AWS profile to use",
        defaultDescription: "AWS_PROFILE, else default",
      },
      {
        name: "region",
        type: "string",
        value: "REGION",
        describe: "AWS region for STS and KMS",
        defaultDescription: "AWS_REGION, AWS_DEFAULT_REGION or the profile, else us-east-1",
      },
      {
        name: "assume-role-arn",
        type: "string",
        value: "ARN",
        describe: "IAM role to assume with your credentials",
      },
      {
        name: "assume-role-external-id",
        type: "string",
        value: "ID",
        describe: "External ID the role requires",
      },
      {
        name: "assume-role-session-name",
        type: "string",
        value: "NAME",
        describe: "Role session name",
        defaultDescription: DEFAULT_SESSION_NAME,
      },
      {
        name: "mfa-serial-number",
        type: "string",
        value: "ARN",
        describe: "MFA device ARN or serial number (for AssumeRole with a role, else GetSessionToken)",
      },
      {
        name: "mfa-token-code",
        type: "string",
        value: "CODE",
        describe: "The code your MFA device shows now",
        defaultDescription: "asked for on the terminal when AWS needs one",
      },
    ],
  },
  {
    heading: "Signing in",
    flags: [
      {
        name: "method",
        type: "string",
        value: "auto|sts|kms",
        describe: "Which proof to give: auto (STS when the app offers it, else KMS), sts or kms",
        defaultDescription: "auto",
      },
      {
        name: "login-flow",
        type: "string",
        value: "proxy|redirect",
        describe:
          "proxy: sign in on the client's behalf and return the page with the session cookie; " +
          "redirect: send the client to the app's /auth with the token, as the original proxy does",
        defaultDescription: "proxy",
      },
    ],
  },
  {
    heading: "Other",
    flags: [
      { name: "version", type: "boolean", short: "v", describe: "Show the version" },
      { name: "help", type: "boolean", describe: "Show this help" },
    ],
  },
];

export const allFlags: readonly FlagSpec[] = flagGroups.flatMap((group) => group.flags);

/**
 * The parseArgs options for every flag. Every string flag is read with `multiple`, so a once-only
 * flag given twice is reported instead of the last value silently winning.
 */
export function parseArgsOptions(): NonNullable<ParseArgsConfig["options"]> {
  return Object.fromEntries(
    allFlags.map((flag) => [
      flag.name,
      {
        type: flag.type,
        ...(flag.type === "string" ? { multiple: true } : {}),
        ...(flag.short === undefined ? {} : { short: flag.short }),
      },
    ]),
  );
}

const width = 100;
const indent = "      ";

/**
 * The text of `iam-auth-proxy --help`, from the flag table: usage, the `ca` command, then each
 * flag with its value, description (wrapped), examples and default.
 *
 * @example process.stdout.write(renderHelp())
 */
export function renderHelp(): string {
  const lines = [
    `Usage: ${PROGRAM_NAME} [ca] [options]`,
    "",
    "A local HTTP proxy that signs you in to IAM-protected web apps with your AWS identity.",
    "",
    "Commands:",
    `  ${PROGRAM_NAME} ca  Create the local CA if needed, and print where it is and how to trust it`,
    `  ${" ".repeat(PROGRAM_NAME.length)}     in browsers and tools (edits nothing)`,
  ];
  for (const group of flagGroups) {
    lines.push("", `${group.heading}:`);
    for (const flag of group.flags) {
      const names = [
        ...(flag.short === undefined ? [] : [`-${flag.short}`]),
        `--${flag.name}${flag.value === undefined ? "" : ` ${flag.value}`}`,
      ];
      lines.push(`  ${names.join(", ")}${flag.repeatable === true ? "  (repeatable)" : ""}`);
      lines.push(...wrap(flag.describe, width - indent.length).map((line) => `${indent}${line}`));
      for (const example of flag.examples ?? []) lines.push(`${indent}  ${example}`);
      if (flag.defaultDescription !== undefined) lines.push(`${indent}Default: ${flag.defaultDescription}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Splits `text` into lines of at most `max` characters at spaces (a longer word gets a line of its own). */
function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}
