import { dirname } from "node:path";
import { formatHostPort, parseBindAddress, type BindAddress } from "../../http/bind-address.js";
import type { CliCommand, CliOutput } from "../command.js";
import { DEFAULT_BIND, PROGRAM_NAME } from "../flags/flag-table.js";
import { readBindFlag } from "../run/run-options.js";

/** What `iam-auth-proxy ca` runs with. */
export interface CaCommandOptions {
  /** `--ca-dir`; undefined: ~/.iam-auth-proxy. */
  readonly caDir: string | undefined;
  /** `--bind`, for the proxy URL in the printed curl example. */
  readonly bind: BindAddress;
}

/**
 * `iam-auth-proxy ca`: creates the CA if needed and prints where it is, its fingerprint and how to
 * trust it in each browser and tool. It edits no trust store or configuration file.
 */
export const caCommand: CliCommand = {
  name: "ca",
  describe:
    "Create the local CA if needed, and print where it is and how to trust it in browsers and tools (edits nothing)",
  flags: ["ca-dir", "bind"],
  prepare(flags) {
    const options: CaCommandOptions = Object.freeze({
      caDir: flags.text("ca-dir")?.value,
      bind: readBindFlag(flags)?.value ?? parseBindAddress(DEFAULT_BIND),
    });
    return { options, run: (output) => runCaCommand(options, output) };
  },
};

/**
 * Runs `iam-auth-proxy ca` (see renderCaInstructions). Resolves with the exit code: 0, or 1
 * when the CA cannot be loaded (its reason on `err`).
 *
 * @example process.exitCode = await runCaCommand({ caDir: undefined, bind: parseBindAddress(":8080") }, { out: process.stdout, err: process.stderr })
 */
export async function runCaCommand(options: CaCommandOptions, output: CliOutput): Promise<number> {
  // Loaded only for this command: the CA code (X.509) would slow every start of the proxy.
  const [{ loadLocalCa }, { renderCaInstructions }] = await Promise.all([
    import("../ca/local-ca.js"),
    import("../ca/ca-instructions.js"),
  ]);
  const result = await loadLocalCa(options.caDir);
  if (result.kind === "failed") {
    output.err.write(`${PROGRAM_NAME}: ${result.message}\n`);
    return 1;
  }
  const { ca } = result;
  const created = ca.created ? `Created a new local CA in ${dirname(ca.certPath)}.\n\n` : "";
  output.out.write(
    created +
      renderCaInstructions({
        caCertPath: ca.certPath,
        fingerprintSha256: ca.fingerprintSha256,
        proxyUrl: proxyUrlFor(options.bind),
      }),
  );
  return 0;
}

/** The URL a browser on this machine reaches the proxy at (a wildcard address means loopback too). */
function proxyUrlFor(bind: BindAddress): string {
  if (bind.kind === "loopback") return `http://127.0.0.1:${bind.port}`;
  const host = bind.host === "0.0.0.0" ? "127.0.0.1" : bind.host === "::" ? "::1" : bind.host;
  return `http://${formatHostPort(host, bind.port)}`;
}
