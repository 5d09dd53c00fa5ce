import { dirname } from "node:path";
import { formatHostPort, parseBindAddress } from "../http/bind-address.js";
import { renderCaInstructions } from "./ca-command.js";
import type { LineSink } from "../common/log.js";
import { defaultCaDir, loadOrCreateCa, MitmError, type LocalCa } from "../mitm/index.js";

/** The local CA, or the one-line reason it cannot be used (a MitmError's message: it says what to do). */
export type CaLoadResult =
  | { readonly kind: "loaded"; readonly ca: LocalCa }
  | { readonly kind: "failed"; readonly code: MitmError["code"]; readonly message: string };

/**
 * Loads the CA from `caDir` (default ~/.iam-auth-proxy), creating it on first use. A MitmError
 * (directory not writable, key readable by others, files damaged or expired, …) becomes a
 * "failed" result; anything else is a bug and is thrown.
 *
 * @example const result = await loadLocalCa(undefined); if (result.kind === "failed") console.error(result.message)
 */
export async function loadLocalCa(caDir: string | undefined): Promise<CaLoadResult> {
  try {
    return { kind: "loaded", ca: await loadOrCreateCa(caDir ?? defaultCaDir()) };
  } catch (error) {
    if (!(error instanceof MitmError)) throw error;
    return { kind: "failed", code: error.code, message: error.message };
  }
}

export interface CaCommandOptions {
  /** `--ca-dir`; undefined: ~/.iam-auth-proxy. */
  readonly caDir: string | undefined;
  /** `--bind`, for the proxy URL in the printed curl example. */
  readonly bind: string;
  /** Where the instructions go (stdout). */
  readonly out: LineSink;
  /** Where a failure goes (stderr). */
  readonly err: LineSink;
  /** Prefix of the error line. */
  readonly programName: string;
}

/**
 * `iam-auth-proxy ca`: creates the CA if needed and prints where it is, its fingerprint and how to
 * trust it in each browser and tool (renderCaInstructions). It edits no trust store or
 * configuration file. Resolves with the exit code: 0, or 1 when the CA cannot be loaded.
 *
 * @example process.exitCode = await runCaCommand({ caDir: undefined, bind: ":8080", out: process.stdout, err: process.stderr, programName: "iam-auth-proxy" })
 */
export async function runCaCommand(options: CaCommandOptions): Promise<number> {
  const result = await loadLocalCa(options.caDir);
  if (result.kind === "failed") {
    options.err.write(`${options.programName}: ${result.message}\n`);
    return 1;
  }
  const { ca } = result;
  const created = ca.created ? `Created a new local CA in ${dirname(ca.certPath)}.\n\n` : "";
  options.out.write(
    created +
      renderCaInstructions({
        caCertPath: ca.certPath,
        fingerprintSha256: ca.fingerprintSha256,
        proxyUrl: proxyUrlFor(options.bind),
      }),
  );
  return 0;
}

/** The URL a browser on this machine reaches the proxy at, for `--bind` (wildcards mean loopback too). */
function proxyUrlFor(bind: string): string {
  const address = parseBindAddress(bind);
  if (address.kind === "loopback") return `http://127.0.0.1:${address.port}`;
  const host = address.host === "0.0.0.0" ? "127.0.0.1" : address.host === "::" ? "::1" : address.host;
  return `http://${formatHostPort(host, address.port)}`;
}
