import { formatLogLine, reportProcessWarnings } from "../../../protocol/index.js";
import type { AwsSession } from "../../aws/aws-session.js";
import type { CliCommand, CliEnvironment, CliOutput } from "../command.js";
import type { CheckResult } from "../doctor/checks.js";
import { allFlags, PROGRAM_NAME } from "../flags/flag-table.js";
import { matchesAnyHost } from "../../http/host-pattern.js";
import { readRunOptions, type RunOptions } from "../run/run-options.js";

/** The proxy's flags that say nothing about signing in to an app. */
const notForDoctor = new Set(["bind", "upstream", "allow-other-users", "login-flow"]);

/** What `iam-auth-proxy doctor` checks. */
export interface DoctorOptions {
  readonly proxy: RunOptions;
  /** The app to check sign-in to; undefined: only the person's side. */
  readonly url: URL | undefined;
}

/**
 * `iam-auth-proxy doctor [URL]`: a checklist of what signing in needs, each failure with its
 * fix — the credentials (where from, whose, until when), the clock against STS, and for a URL
 * the app's challenge, the KMS method's calls when the proxy would use it, and the local CA in
 * the browser's store for an intercepted (--host) HTTPS app. Exit code 0 only when nothing failed.
 */
export const doctorCommand: CliCommand = {
  name: "doctor",
  describe:
    "Check what signing in needs (credentials, clock; with a URL the app's challenge, KMS, the CA) and say how to fix it",
  flags: allFlags
    .filter((flag) => flag.only === undefined && flag.command === undefined && !notForDoctor.has(flag.name))
    .map((flag) => flag.name),
  maxArguments: 1,
  prepare(flags, env, _commandWords, args) {
    const proxy = readRunOptions(flags, env);
    const [text] = args;
    let url: URL | undefined;
    if (text !== undefined) {
      url = URL.canParse(text) ? new URL(text) : undefined;
      if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
        flags.report(
          `doctor URL must be an http(s) URL such as https://app.example.com/ (got ${JSON.stringify(text)})`,
        );
      }
    }
    const options: DoctorOptions = Object.freeze({ proxy, url });
    return { options, run: (output) => runDoctor(options, output, env) };
  },
};

const marks: Record<CheckResult["status"], string> = { ok: "ok  ", fail: "FAIL", skip: "skip" };

/** Runs the checks one after another, printing each as it ends; resolves with 0, or 1 if any failed. */
export async function runDoctor(
  options: DoctorOptions,
  output: CliOutput,
  env: CliEnvironment,
): Promise<number> {
  const [checks, { createAwsLoginDependencies }, { createAwsSession }] = await Promise.all([
    import("../doctor/checks.js"),
    import("../../aws/aws-login.js"),
    import("../../aws/aws-session.js"),
  ]);
  // The AWS SDK's multi-line warnings, as one line each on stderr (the checklist is on stdout).
  reportProcessWarnings(
    (fields) => void output.err.write(`${PROGRAM_NAME}: ${formatLogLine("node-warning", fields)}\n`),
  );
  let failed = false;
  const print = (result: CheckResult): void => {
    failed ||= result.status === "fail";
    const fix =
      result.fix === undefined || result.fix === "see the message" ? "" : `\n       fix: ${result.fix}`;
    output.out.write(`[${marks[result.status]}] ${result.name}: ${result.detail}${fix}\n`);
  };
  const session: AwsSession = createAwsSession(createAwsLoginDependencies(options.proxy.aws));
  const found = await checks.checkCredentials(session);
  print(found.result);
  print(await checks.checkClock(session));

  const { url } = options;
  if (url !== undefined) {
    const app = await checks.checkAppChallenge(url, options.proxy.method);
    print(app.result);
    if (app.choice?.method === "kms" && app.headers !== undefined) {
      if (found.credentials === undefined) {
        print({
          name: "KMS method",
          status: "skip",
          detail: "no credentials to check GetSessionToken and kms:Encrypt with",
        });
      } else {
        for (const result of await checks.checkKms(session, found.credentials, app.headers)) print(result);
      }
    }
    const intercepted =
      url.protocol === "https:" &&
      matchesAnyHost(options.proxy.hosts, url.hostname.replace(/^\[|\]$/g, ""), Number(url.port || 443));
    if (intercepted) {
      const { loadLocalCa } = await import("../ca/local-ca.js");
      const ca = await loadLocalCa(options.proxy.caDir);
      if (ca.kind === "failed")
        print({
          name: "local CA trusted",
          status: "fail",
          detail: ca.message,
          fix: `run ${PROGRAM_NAME} ca`,
        });
      else print(await checks.checkCaTrust(ca.ca.certPath, env.HOME ?? undefined));
    }
  }
  output.out.write(
    failed ? "Something above needs fixing before signing in works.\n" : "Everything checked is fine.\n",
  );
  return failed ? 1 : 0;
}
