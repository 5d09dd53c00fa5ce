// Installs the Debian packages the end-to-end tests drive as real peers, when they are missing:
// with apt-get when running as root, else it stops with one line giving the exact command.
// Runs before `npm test` (and from .ci/run), using only Node.js built-ins.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** A command the tests run, and the Debian package that provides it. */
const needed = [
  { command: "curl", pkg: "curl", why: "curl through the proxy" },
  { command: "chromium", pkg: "chromium", why: "the browser tests (or set CHROMIUM_PATH)" },
  { command: "certutil", pkg: "libnss3-tools", why: "trusting the proxy's CA in a browser profile" },
  { command: "microsocks", pkg: "microsocks", why: "a real SOCKS5 server" },
  { command: "ip", pkg: "iproute2", why: "the SOCKS tests' private network namespace" },
  { command: "setpriv", pkg: "util-linux", why: "connecting as another OS user" },
  // An absolute path: the gateway tests run Debian's Python, not whichever python3 is first on PATH.
  { command: "/usr/bin/python3", pkg: "python3", why: "a plain Python app behind the gateway" },
  // A file of the package, not a command: `iam-auth-proxy exec -- python3` is tested with requests.
  {
    command: "/usr/lib/python3/dist-packages/requests/__init__.py",
    pkg: "python3-requests",
    why: "a Python client run under iam-auth-proxy exec",
  },
  {
    command: "/usr/lib/python3/dist-packages/botocore/__init__.py",
    pkg: "python3-botocore",
    why: "docs/clients.md's Python snippet, signed by botocore",
  },
  // /usr/sbin is not on every user's PATH.
  { command: "/usr/sbin/nginx", pkg: "nginx", why: "nginx auth_request in front of the gateway" },
  {
    command: "/usr/bin/redis-server",
    pkg: "redis-server",
    why: "a real Redis shared by two gateways and example servers (the tests start their own)",
  },
];

function onPath(command) {
  if (command.startsWith("/")) return existsSync(command);
  return (process.env.PATH ?? "")
    .split(delimiter)
    .some((dir) => dir !== "" && existsSync(join(dir, command)));
}

if (process.platform !== "linux") {
  console.error(
    "setup: not Linux; install curl, Chromium (set CHROMIUM_PATH), certutil, microsocks, nginx, python3 and redis-server yourself",
  );
  process.exit(0);
}
const missing = needed.filter(
  (each) => !onPath(each.command) && !(each.command === "chromium" && process.env.CHROMIUM_PATH),
);
if (missing.length === 0) process.exit(0);
const packages = [...new Set(missing.map((each) => each.pkg))];
const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")}`;
if (process.getuid?.() !== 0 || !onPath("apt-get")) {
  console.error(
    `setup: the tests need ${missing.map((each) => `${each.command} (${each.why})`).join(", ")}; run: sudo sh -c '${command}'`,
  );
  process.exit(1);
}
console.error(`setup: installing ${packages.join(" ")} from Debian`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
for (const args of [
  ["update", "-qq"],
  ["install", "-y", "-qq", "--no-install-recommends", ...packages],
]) {
  const result = spawnSync("apt-get", args, { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(
      `setup: 'apt-get ${args.join(" ")}' failed (exit ${result.status ?? result.signal}); run: ${command}`,
    );
    process.exit(1);
  }
}
