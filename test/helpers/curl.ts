import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Runs curl through an HTTP proxy and returns what it printed. With `cookieJar`, curl follows
 * redirects and keeps cookies in a fresh jar file (the README's `-L -c jar -b jar` line).
 */
export async function curlViaProxy(
  proxyUrl: string,
  url: string,
  options: { cookieJar?: boolean } = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-curl-"));
  try {
    const jar = join(dir, "jar");
    const args = options.cookieJar === true ? ["-sS", "-L", "-c", jar, "-b", jar] : ["-sS"];
    const { stdout } = await promisify(execFile)("curl", [...args, "-x", proxyUrl, url]);
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
