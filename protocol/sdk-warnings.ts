/*
 * The AWS SDK warns in two ways, both as several free-form lines on stderr: process.emitWarning
 * (NodeVersionSupportWarning, from every client's constructor, @aws-sdk/core) and its logger's
 * warn, console.warn by default ("Multiple credential sources detected", from the default
 * credential chain, @aws-sdk/credential-provider-node). Both the proxy and the example server log
 * one event per line, so each process routes the logger's warnings into process warnings
 * (createSdkWarningLogger) and reports every process warning as one log event (reportProcessWarnings).
 * Here because both processes need it, and this is the one folder both may import.
 */

/** The logger the AWS SDK accepts (its `Logger`: debug, info, warn, error). */
export interface SdkLogger {
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

/** A process warning as one log event's fields (a type, not an interface, so it is a log record). */
export type WarningFields = {
  /** The warning's type, e.g. `NodeVersionSupportWarning`. */
  readonly name: string;
  /** Its text on one line. */
  readonly message: string;
};

const MULTIPLE_SOURCES_MESSAGE =
  "a profile is named (--profile or AWS_PROFILE) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set too: " +
  "the AWS SDK uses the profile and ignores the keys; unset one of them";

/**
 * A logger for the AWS SDK (a client's `logger`, or the credential chain's) that re-emits its
 * warnings as process warnings, one line each, and drops everything else: clients log each call's
 * input and output at info level, which may hold ciphertext or credentials. The "Multiple
 * credential sources" text becomes a MultipleCredentialSourcesWarning that names --profile as well
 * as AWS_PROFILE (the SDK's names only AWS_PROFILE).
 *
 * @example new KMSClient({ region, logger: createSdkWarningLogger() })
 */
export function createSdkWarningLogger(
  emit: (message: string, type: string) => void = (message, type) => process.emitWarning(message, type),
): SdkLogger {
  const ignore = (): void => undefined;
  return {
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (...content) => {
      const text = collapse(
        content.map((part) => (typeof part === "string" ? part : String(part))).join(" "),
      );
      if (text.includes("Multiple credential sources detected")) {
        emit(MULTIPLE_SOURCES_MESSAGE, "MultipleCredentialSourcesWarning");
      } else {
        emit(text, "AwsSdkWarning");
      }
    },
  };
}

/**
 * The fields of one log event for a process warning: its type and its text on one line. A
 * warning emitted with only a text (as the SDK's NodeVersionSupportWarning is, so its type is
 * "Warning") that starts with `<Name>Warning: ` is named after that prefix.
 *
 * @example describeProcessWarning(Object.assign(new Error("NodeVersionSupportWarning: The AWS SDK …\nwill require node >=22"), { name: "Warning" }))
 * // { name: "NodeVersionSupportWarning", message: "The AWS SDK … will require node >=22" }
 */
export function describeProcessWarning(warning: Error): WarningFields {
  const message = collapse(warning.message);
  const prefixed = /^(\w+Warning): (.*)$/.exec(message);
  if (warning.name === "Warning" && prefixed !== null) {
    return { name: prefixed[1] ?? warning.name, message: prefixed[2] ?? message };
  }
  return { name: warning.name, message };
}

/**
 * Replaces Node's default printing of process warnings (several lines each on stderr) with
 * `report`, called once per warning with describeProcessWarning's fields. Call once, at start.
 *
 * @example reportProcessWarnings((fields) => logger.warn("node-warning", fields))
 */
export function reportProcessWarnings(report: (fields: WarningFields) => void): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error) => report(describeProcessWarning(warning)));
}

function collapse(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}
