import { readFileSync } from "node:fs";

/**
 * The version in package.json, as `--version` prints it. From dist/proxy/cli/ (or proxy/cli/
 * when run from source) the package root is three folders up.
 *
 * @example readPackageVersion() // "0.1.0"
 */
export function readPackageVersion(): string {
  const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}
