import { normalizeAuthority } from "../../protocol/index.js";
import { ProxyError } from "../common/errors.js";
import type { LoginMethod, LoginMethodPreference } from "../aws/types.js";

/** The method to answer a challenge with, and what the STS method signs. */
export type MethodChoice =
  | { readonly method: "sts"; readonly nonce: string; readonly serverId: string }
  /** `serverId`: the challenge's, checked; the token is then bound to it. Undefined: the app sent none (the original server). */
  | { readonly method: "kms"; readonly serverId: string | undefined };

/** The same nonce syntax the app checks (protocol/sts-proof.ts): it is a token segment and a signed header. */
const nonceFormat = /^[A-Za-z0-9_-]{16,256}$/;
const INVALID_CHALLENGE = "Invalid IAM challenge from the server";

/**
 * The methods a challenge offers: its `methods` parameter, or only `kms` when it has none
 * (the original server's challenge, which predates the STS method).
 *
 * @example offeredMethods(new Map([["methods", "sts kms"]])) // ["sts", "kms"]
 */
export function offeredMethods(params: ReadonlyMap<string, string>): readonly string[] {
  const methods = params.get("methods");
  if (methods === undefined) return ["kms"];
  return methods
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((method) => method !== "");
}

/**
 * Picks the method for a challenge from the app at `host` (the authority the proxy is talking
 * to): `auto` prefers STS when offered, else KMS; `sts` and `kms` insist. For STS it checks the
 * challenge's nonce and that its server-id is `host` itself: a proof names the app it is for,
 * and signing one for another server-id would let this app sign in *there* as the person.
 * For KMS the server-id is optional (the original server sends none); when there, it is checked
 * the same way, as the token is bound to it (protocol/kms-token.ts).
 * Throws ProxyError METHOD_NOT_OFFERED, CHALLENGE_INVALID or SERVER_ID_MISMATCH.
 *
 * @example chooseLoginMethod("auto", new Map([["methods", "sts kms"], ["nonce", n], ["server-id", "app:3000"]]), "app:3000")
 * // { method: "sts", nonce: n, serverId: "app:3000" }
 */
export function chooseLoginMethod(
  preference: LoginMethodPreference,
  params: ReadonlyMap<string, string>,
  host: string,
  scheme: "http" | "https" = "http",
): MethodChoice {
  const offered = offeredMethods(params);
  const method = pickMethod(preference, offered, host);
  const serverId = params.get("server-id");
  if (method === "kms") {
    if (serverId !== undefined) checkServerId(serverId, host, scheme);
    return { method, serverId };
  }

  const nonce = params.get("nonce");
  if (nonce === undefined || serverId === undefined) {
    throw new ProxyError(
      "CHALLENGE_INVALID",
      `${INVALID_CHALLENGE}: it offers the STS method without a ${nonce === undefined ? "nonce" : "server-id"}`,
    );
  }
  if (!nonceFormat.test(nonce)) {
    throw new ProxyError(
      "CHALLENGE_INVALID",
      `${INVALID_CHALLENGE}: the nonce is not 16 to 256 of A-Z a-z 0-9 _ -`,
    );
  }
  checkServerId(serverId, host, scheme);
  return { method, nonce, serverId };
}

/** Throws SERVER_ID_MISMATCH unless the challenge's server-id is `host` itself. */
function checkServerId(serverId: string, host: string, scheme: "http" | "https"): void {
  // An https app on 443 may name itself `app:443` or `app`: compare with that scheme's default port.
  const own = normalizeAuthority(host, `${scheme}:`);
  if (own === undefined || normalizeAuthority(serverId, `${scheme}:`) !== own) {
    throw new ProxyError(
      "SERVER_ID_MISMATCH",
      `Refusing to sign in: the app at ${host} asked for a proof for server-id ${serverId.slice(0, 200)} ` +
        "(a proof for another server would let this app sign in there as you)",
    );
  }
}

function pickMethod(
  preference: LoginMethodPreference,
  offered: readonly string[],
  host: string,
): LoginMethod {
  const list = offered.length === 0 ? "none" : offered.join(" ");
  if (preference === "auto") {
    if (offered.includes("sts")) return "sts";
    if (offered.includes("kms")) return "kms";
    throw new ProxyError(
      "METHOD_NOT_OFFERED",
      `Refusing to sign in: the app at ${host} offers no method this proxy knows (it offers: ${list})`,
    );
  }
  if (offered.includes(preference)) return preference;
  throw new ProxyError(
    "METHOD_NOT_OFFERED",
    `Refusing to sign in with --method ${preference}: the app at ${host} does not offer the ` +
      `${preference.toUpperCase()} method (it offers: ${list})`,
  );
}
