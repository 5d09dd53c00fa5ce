import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./service.js";

/** The proxy's command, as the shell steps of runInPrivateMount call it: `"$NODE" "$CLI" …`. */
const cli = join(repoRoot, "dist", "proxy", "cli", "main.js");

/**
 * Why a private tmpfs cannot be mounted here, or undefined when it can. It needs util-linux's
 * `unshare` and user namespaces (no root: `--map-root-user` makes the caller root inside its own
 * mount namespace, where it may mount a tmpfs that no other process sees).
 */
export function privateMountUnavailable(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "iam-auth-mount-probe-"));
  try {
    const probe = spawnSync(
      "unshare",
      ["--user", "--map-root-user", "--mount", "sh", "-c", 'mount -t tmpfs -o size=4k none "$0"', dir],
      { encoding: "utf8", timeout: 10_000 },
    );
    if (probe.error !== undefined) return `unshare cannot run (${probe.error.message}); it is in util-linux`;
    if (probe.status !== 0) return `cannot mount a private tmpfs with unshare: ${probe.stderr.trim()}`;
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The command and arguments that run shell `steps` in a mount namespace of their own, after
 * mounting a tmpfs of `sizeKb` at `mountDir` (visible only to them). The steps see `$MNT` (the
 * mount), `$NODE` and `$CLI` (the proxy: `"$NODE" "$CLI" "$@"` runs it with `proxyArgs`); the
 * last one usually `exec`s the proxy. A full disk: `dd if=/dev/zero of="$MNT/fill" bs=1k || true`;
 * a read-only one: `mount -o remount,ro "$MNT"`. For spawnSync or spawnService.
 *
 * @example const { command, args } = inPrivateMount(dir, 16, ['mount -o remount,ro "$MNT"', 'exec "$NODE" "$CLI" "$@"'], ["--host", "localhost"])
 */
export function inPrivateMount(
  mountDir: string,
  sizeKb: number,
  steps: readonly string[],
  proxyArgs: readonly string[],
): { command: string; args: string[]; env: Record<string, string> } {
  const script = ["set -e", 'mount -t tmpfs -o "size=${SIZE_KB}k,mode=0700" none "$MNT"', ...steps].join(
    "\n",
  );
  return {
    command: "unshare",
    args: ["--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", ...proxyArgs],
    env: { MNT: mountDir, SIZE_KB: String(sizeKb), NODE: process.execPath, CLI: cli },
  };
}
