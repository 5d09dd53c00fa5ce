import {
  buildPolicies,
  describeKeyArnProblem,
  formatPolicies,
  type PolicyRequest,
} from "../../../protocol/index.js";
import type { CliCommand, CliOutput } from "../command.js";

const accountPattern = /^\d{12}$/;

/**
 * `iam-auth-proxy policy`: prints, ready to paste, the IAM policy the person needs for the
 * methods given (`--method`, default both), or with `--server` the app server's IAM policy and
 * the KMS key policy statements; each document after a `#` line saying why.
 */
export const policyCommand: CliCommand = {
  name: "policy",
  describe: "Print the IAM and KMS key policies each side needs (--server: the app's side), ready to paste",
  flags: ["method", "key-arn", "people-account", "server"],
  prepare(flags) {
    const method = flags.text("method");
    let methods: PolicyRequest["methods"] = ["sts", "kms"];
    if (method !== undefined) {
      if (method.value === "sts" || method.value === "kms") methods = [method.value];
      else if (method.value !== "auto")
        flags.report(`${method.name} must be auto, sts or kms (got ${JSON.stringify(method.value)})`);
    }
    const keyArn = flags.text("key-arn");
    const keyProblem = keyArn === undefined ? undefined : describeKeyArnProblem(keyArn.value);
    if (keyArn !== undefined && keyProblem !== undefined)
      flags.report(`${keyArn.name} ${keyProblem} (got ${JSON.stringify(keyArn.value)})`);
    const peopleAccount = flags.text("people-account");
    if (peopleAccount !== undefined && !accountPattern.test(peopleAccount.value)) {
      flags.report(
        `${peopleAccount.name} must be a 12-digit AWS account id (got ${JSON.stringify(peopleAccount.value)})`,
      );
    }
    const request: PolicyRequest = Object.freeze({
      methods,
      keyArn: keyArn?.value,
      peopleAccount: peopleAccount?.value,
      side: flags.boolean("server")?.value === true ? "server" : "person",
    });
    return { options: request, run: (output) => runPolicyCommand(request, output) };
  },
};

/** Prints the documents; resolves with 0. */
export function runPolicyCommand(request: PolicyRequest, output: CliOutput): Promise<number> {
  output.out.write(formatPolicies(buildPolicies(request)));
  return Promise.resolve(0);
}
