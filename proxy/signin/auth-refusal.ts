import type { ServerResponse } from "node:http";
import { AUTH_PATH } from "../../protocol/index.js";
import { describeRejectedKey, findRejectedKeyCode } from "../aws/aws-errors.js";
import type { CallerIdentity, CredentialSource } from "../aws/types.js";
import { toOneLine, type ProxyErrorCode } from "../common/errors.js";
import { sendPlainText, sendProxyError } from "../http/http-messages.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";

/** The app's own answer to a refused sign-in, kept to show the client instead of the proxy's one line. */
export interface RefusalPage {
  readonly status: number;
  /** `[name, value]` of the fields that describe the body (see relayedFieldNames); never Set-Cookie. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** The Accept header /auth was asked with: only a request that sent the same one gets this page. */
  readonly accept: string;
}

/** A sign-in refused by the app at /auth, or by the proxy itself (then without a page). */
export interface SignInRefusal {
  readonly kind: "refused";
  readonly status: number;
  /** One line, safe to log and to send: the app's text reason, its HTML page's title, or what failed. */
  readonly message: string;
  /** The app's refusal to relay, when it sent a body that fits (see readAuthRefusal). */
  readonly page?: RefusalPage | undefined;
  /** The ProxyError code when the proxy itself refused (sent as Iam-Auth-Proxy-Error); none for the app's refusal. */
  readonly code?: ProxyErrorCode | undefined;
}

/** Bigger refusal pages are not relayed (a cut-off page is worse than the one line). */
export const MAX_REFUSAL_PAGE_BYTES = 64 * 1024;

/**
 * The fields of a refusal that are relayed: what the body is, and the app's protections for it.
 * Everything else stays behind, above all Set-Cookie (a refusal must never leave a session or
 * overwrite the browser's), Location and WWW-Authenticate.
 */
const relayedFieldNames: ReadonlySet<string> = new Set([
  "content-type",
  "content-language",
  "content-security-policy",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
]);

/**
 * Reads the app's refusal at /auth (a status of 400 or more), up to MAX_REFUSAL_PAGE_BYTES, and
 * drains the rest. Its one-line message is the first line of a text body, the `<title>` of an HTML
 * page (the app chose HTML because /auth was asked with the browser's Accept), else
 * "The app refused the sign-in at /auth (HTTP <status>)". A non-empty body that fits is kept as
 * the page to relay, with the safe fields only.
 *
 * @example const refusal = await readAuthRefusal(authResponse, "text/html,*\/*;q=0.8")
 */
export async function readAuthRefusal(response: UpstreamResponse, accept: string): Promise<SignInRefusal> {
  const status = response.statusCode ?? 502;
  const { bytes, complete } = await readStart(response, MAX_REFUSAL_PAGE_BYTES);
  const contentType = (response.headersDistinct["content-type"]?.[0] ?? "").toLowerCase();
  const text = bytes.toString("utf8");
  const reason = /^\s*(?:text\/html|application\/xhtml\+xml)\b/.test(contentType)
    ? toOneLine(decodeEntities(/<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1] ?? ""), 300)
    : toOneLine(text.split("\n", 1)[0] ?? "", 300);
  const message = reason === "" ? `The app refused the sign-in at ${AUTH_PATH} (HTTP ${status})` : reason;
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) {
    const name = response.rawHeaders[i] ?? "";
    if (relayedFieldNames.has(name.toLowerCase())) headers.push([name, response.rawHeaders[i + 1] ?? ""]);
  }
  const page = complete && bytes.length > 0 ? { status, headers, body: bytes, accept } : undefined;
  return { kind: "refused", status, message, page };
}

/** What the proxy knows of the credentials that signed a proof. */
export interface SigningCredentials {
  /** Where they come from (see describeRejectedKey). Default: not known. */
  readonly source?: CredentialSource | undefined;
  /** Whose they are, when AWS has already said so to the proxy itself (sts:GetCallerIdentity). */
  readonly identity: CallerIdentity | undefined;
}

/**
 * The app's refusal, explained when the app's AWS refused the person's own key: the STS method's
 * proof is checked by the app, so the proxy learns of a wrong secret access key (AWS's
 * SignatureDoesNotMatch) or an unknown key id (InvalidClientTokenId) only from the app's refusal,
 * "AWS STS rejected the proof (SignatureDoesNotMatch)" (or the HTML page that says so). The
 * message then also says what to check of the credentials' source (see describeRejectedKey), and
 * the app's own page is not relayed: it blames the proof, while the fix is in the person's
 * credentials. Any other refusal is returned as it is — and so is this one when AWS has already
 * accepted these credentials from the proxy itself (their identity is known): then the key is
 * right, and the signature differs for another reason (e.g. the app checks another server-id).
 *
 * @example explainRejectedKey(refusal, { source: { kind: "profile", profile: "work" }, identity: undefined }).message
 * // 'AWS STS rejected the proof (SignatureDoesNotMatch); AWS refused the key the proxy signed with: check the secret access key …'
 */
export function explainRejectedKey(refusal: SignInRefusal, signer: SigningCredentials): SignInRefusal {
  if (signer.identity !== undefined) return refusal;
  const page = refusal.page?.body.toString("utf8") ?? "";
  const code = findRejectedKeyCode(refusal.message) ?? findRejectedKeyCode(page);
  const advice = code === undefined ? undefined : describeRejectedKey(code, signer.source);
  if (code === undefined || advice === undefined) return refusal;
  const named = refusal.message.includes(code) ? refusal.message : `${refusal.message} (${code})`;
  return { ...refusal, message: toOneLine(`${named}; ${advice}`, 600), page: undefined };
}

/**
 * Answers the client with a refused sign-in: the app's own page when there is one (its status,
 * body and safe fields, never cached), else the one line of text.
 *
 * @example if (result.kind === "refused") sendSignInRefusal(res, result)
 */
export function sendSignInRefusal(res: ServerResponse, refusal: SignInRefusal): void {
  const { page } = refusal;
  if (page === undefined || res.headersSent || res.destroyed || res.writableEnded) {
    if (refusal.code === undefined) sendPlainText(res, refusal.status, refusal.message);
    else sendProxyError(res, { status: refusal.status, message: refusal.message, code: refusal.code });
    return;
  }
  res.writeHead(page.status, [
    ...page.headers.flat(),
    "Content-Length",
    String(page.body.length),
    // The page is about this sign-in, and the next visit may well succeed.
    "Cache-Control",
    "no-store",
  ]);
  res.end(page.body);
}

/** The refusal as `accept` should see it: the app's page only if it was made for that Accept header. */
export function refusalFor(refusal: SignInRefusal, accept: string): SignInRefusal {
  return refusal.page === undefined || refusal.page.accept === accept
    ? refusal
    : { ...refusal, page: undefined };
}

const namedEntities: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/** Decodes the character references a page title holds in practice (`&amp;`, `&#39;`, `&#x27;`). */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    const code = lower.startsWith("#x")
      ? Number.parseInt(lower.slice(2), 16)
      : lower.startsWith("#")
        ? Number.parseInt(lower.slice(1), 10)
        : undefined;
    if (code === undefined) return namedEntities[lower] ?? whole;
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Reads up to `limit` bytes of a response and drains the rest; `complete` when nothing was left out. */
function readStart(
  response: UpstreamResponse,
  limit: number,
): Promise<{ readonly bytes: Buffer; readonly complete: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    });
    const done = (): void =>
      resolve({ bytes: Buffer.concat(chunks), complete: response.complete && size <= limit });
    response.on("end", done);
    response.on("error", done);
    response.on("close", done);
  });
}
