import { AUTH_PATH, NONCE_PATH_SUFFIX } from "../../protocol/index.js";
import { describeUnsafePath } from "../mount-path.js";
import { isExactPath } from "../public-paths.js";
import { describeValue as describe } from "./describe-value.js";

/** The original's hand-over path; any other is advertised in the challenge as auth-path. */
export const DEFAULT_AUTH_PATH = AUTH_PATH;
export const DEFAULT_SIGN_OUT_PATH = "/auth/sign-out";
export const DEFAULT_WHOAMI_PATH = "/auth/whoami";
export const DEFAULT_PROXY_ADDRESS = "127.0.0.1:8080";

// A host name, an IPv4 address or a bracketed IPv6 address, and a port: what --bind takes.
const proxyAddressPattern =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/;

/** The paths the middleware serves itself, under its mount path. */
export interface RoutePaths {
  readonly authPath: string;
  readonly signOutPath: string;
  readonly whoamiPath: string;
}

/**
 * Reads authPath, signOutPath and whoamiPath, each defaulted: plain paths, all different, and none
 * where the nonce for header proofs is served (authPath + "/nonce").
 */
export function readRoutePaths(input: Record<string, unknown>, problems: string[]): RoutePaths | undefined {
  const defaults = {
    authPath: DEFAULT_AUTH_PATH,
    signOutPath: DEFAULT_SIGN_OUT_PATH,
    whoamiPath: DEFAULT_WHOAMI_PATH,
  };
  const paths: Record<string, string> = {};
  let valid = true;
  for (const [name, fallback] of Object.entries(defaults)) {
    const value = input[name] ?? fallback;
    const problem =
      name === "authPath"
        ? describeOptionProblem("authPath", value)
        : typeof value !== "string" || !isExactPath(value)
          ? `must be a path such as ${JSON.stringify(fallback)} (got ${describe(value)})`
          : undefined;
    if (problem !== undefined || typeof value !== "string") {
      problems.push(`${name}: ${problem}`);
      valid = false;
      continue;
    }
    const clash = Object.entries(paths).find(
      ([other, path]) => path === value || (other === "authPath" && `${path}${NONCE_PATH_SUFFIX}` === value),
    )?.[0];
    if (clash !== undefined) {
      problems.push(
        clash === "authPath" && paths.authPath !== value
          ? `${name}: must differ from ${JSON.stringify(value)}, where the nonce for header proofs is served (authPath + "${NONCE_PATH_SUFFIX}")`
          : `${name}: must differ from ${clash} (both are ${JSON.stringify(value)})`,
      );
      valid = false;
    }
    paths[name] = value;
  }
  return valid ? (paths as unknown as RoutePaths) : undefined;
}

/** The options an app may well take from its environment as text (the example server does), checked one at a time. */
export type TextOptionName = "authPath" | "helpUrl" | "proxyAddress";

/**
 * What is wrong with one of those option values, as "must be … (got …)", or undefined when it is
 * fine: the very check iamAuth() makes, for an app that wants to name its own setting (an
 * environment variable) in the message.
 *
 * @example describeOptionProblem("helpUrl", "javascript:alert(1)") // 'must be an https: or http: URL, … (got "javascript:alert(1)")'
 */
export function describeOptionProblem(name: TextOptionName, value: unknown): string | undefined {
  switch (name) {
    case "helpUrl":
      return typeof value === "string" && isHelpUrl(value)
        ? undefined
        : `must be an https: or http: URL, or a path on this site such as "/docs/sign-in" (got ${describe(value)})`;
    case "proxyAddress":
      return typeof value === "string" && isProxyAddress(value)
        ? undefined
        : `must be HOST:PORT where people run the proxy, such as "${DEFAULT_PROXY_ADDRESS}" (got ${describe(value)})`;
    case "authPath":
      // It goes into the challenge, where a client accepts only a plain path (checkAuthPath).
      return typeof value === "string" && isExactPath(value)
        ? describeUnsafePath(value)
        : `must be a path such as "${DEFAULT_AUTH_PATH}" (got ${describe(value)})`;
  }
}

/** A link target the challenge page may show: no `javascript:` or other schemes, no `//host` paths. */
function isHelpUrl(value: string): boolean {
  if (!/^[\x21-\x7e]{1,2048}$/.test(value)) return false;
  if (value.startsWith("/")) return !value.startsWith("//") && !value.startsWith("/\\");
  try {
    const { protocol } = new URL(value);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

function isProxyAddress(value: string): boolean {
  const port = proxyAddressPattern.exec(value)?.[1];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}
