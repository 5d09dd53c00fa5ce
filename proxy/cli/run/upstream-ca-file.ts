import { readFileSync } from "node:fs";
import { readCaCertificates } from "../../upstream/upstream-tls.js";

/**
 * Reads an `--upstream-ca` file: its PEM certificates, each checked. Throws a TypeError that
 * names the file and the problem, for the caller to put after how the flag was given.
 *
 * @example readUpstreamCaFile("/etc/corp/root-ca.pem") // ["-----BEGIN CERTIFICATE-----\n…"]
 * @example readUpstreamCaFile("missing.pem") // throws TypeError "cannot read missing.pem: ENOENT"
 */
export function readUpstreamCaFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new TypeError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  try {
    return readCaCertificates(text);
  } catch (error) {
    throw new TypeError(`${path} ${(error as Error).message}`);
  }
}
