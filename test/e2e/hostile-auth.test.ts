import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { findIamChallenge, formatStsProof } from "../../protocol/index.js";
import type { AwsCredentials } from "../../proxy/aws/credentials.js";
import { presignCallerIdentity } from "../../proxy/aws/sts-presign.js";
import {
  assertOneLineRefusal,
  freshSourceAddress,
  recordServerSecrets,
  reportCases,
  sendRequest,
  sessionCookiesSet,
} from "../helpers/hostile-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * Hostile input at the two servers that read proofs, the example server and the gateway (real
 * processes, with the local AWS as their STS): tokens and STS proofs at /auth, session cookies,
 * and return_url. Every row asserts a 4xx with a one-line reason, no session cookie, how many
 * sts:GetCallerIdentity calls it cost the local AWS (none for a proof the server refuses on its
 * own checks), and that the server still answers the next request with its challenge. Each
 * table prints `hostile-cases surface=… target=… cases=N`.
 */

const suite = "hostile-auth";
const { users, accountId, region } = demoAccount;

/** A fresh challenge from a server: its nonce, the nonce cookie, and a good proof's presigned URL for it. */
interface Fresh {
  readonly nonce: string;
  readonly cookie: string;
  readonly serverId: string;
  /** A presigned GetCallerIdentity for this nonce, signed now as the demo user, at the local AWS. */
  readonly url: string;
  /** sts1.<nonce>.<base64url of url>: the proof that would sign in. */
  readonly proof: string;
}

/** What a row sends to /auth: the query string (without "?") and the cookie, made from a fresh challenge. */
interface Attempt {
  readonly query: string;
  readonly cookie?: string | undefined;
}

interface TokenRow {
  readonly name: string;
  /** `fresh` and `other`: two challenges of this server; `foreign`: one of the other server (gateway or example server). */
  readonly attempt: (fresh: Fresh, other: Fresh, foreign: Fresh) => Attempt | Promise<Attempt>;
  /** sts:GetCallerIdentity calls the row may cost: 0 unless the proof passes every local check. */
  readonly stsCalls?: number;
  /** What the one-line reason says (a fragment). */
  readonly reason?: RegExp;
}

const q = (token: string, extra = ""): string => `token=${encodeURIComponent(token)}${extra}`;
const b64url = (text: string): string => Buffer.from(text, "utf8").toString("base64url");
const sts = (fresh: Fresh, url: string): string => formatStsProof({ nonce: fresh.nonce, presignedUrl: url });
/** The proof with its presigned URL changed by `change`, with the nonce cookie. */
const mutated =
  (change: (url: string, fresh: Fresh) => string) =>
  (fresh: Fresh): Attempt => ({ query: q(sts(fresh, change(fresh.url, fresh))), cookie: fresh.cookie });
/** The presigned URL with its origin replaced. */
const onOrigin = (origin: string) => mutated((url) => url.replace(/^http:\/\/[^/]+/, origin));
/** The presigned URL with one query parameter's value replaced (or removed when `value` is undefined). */
const withParam = (name: string, value: string | undefined) =>
  mutated((url) => {
    const [base = "", query = ""] = url.split("?");
    const pairs = query.split("&").filter((pair) => !pair.startsWith(`${name}=`));
    if (value !== undefined) pairs.push(`${name}=${encodeURIComponent(value)}`);
    return `${base}?${pairs.join("&")}`;
  });
const appended = (extra: string) => mutated((url) => `${url}${extra}`);

const notSts = /is not an AWS STS endpoint/;
const rejected = /^The STS proof is rejected: /;
const malformed = /^The STS proof is malformed: /;

const tokenRows: readonly TokenRow[] = [
  // The query itself.
  {
    name: "no token parameter",
    attempt: () => ({ query: "return_url=%2F" }),
    reason: /token query parameter is missing/,
  },
  { name: "an empty token", attempt: () => ({ query: "token=" }), reason: /missing/ },
  {
    name: "the token repeated",
    attempt: (f) => ({ query: `${q(f.proof)}&${q(f.proof)}`, cookie: f.cookie }),
    reason: /repeated/,
  },
  {
    name: "Token= in another case only",
    attempt: (f) => ({ query: `Token=${encodeURIComponent(f.proof)}`, cookie: f.cookie }),
    reason: /missing/,
  },
  {
    name: "token[]= array syntax",
    attempt: (f) => ({ query: `token[]=${encodeURIComponent(f.proof)}`, cookie: f.cookie }),
    reason: /single value|missing/,
  },
  {
    name: "a token of 8193 characters",
    attempt: () => ({ query: q("A".repeat(8193)) }),
    reason: /longer than 8192/,
  },
  {
    name: "a proof padded past 8192 characters",
    attempt: (f) => ({ query: q(`${f.proof}${"A".repeat(8200)}`), cookie: f.cookie }),
    reason: /longer than 8192/,
  },
  { name: "a NUL byte", attempt: () => ({ query: "token=%00" }) },
  { name: "raw non-ASCII", attempt: () => ({ query: q("ü€😀") }) },
  { name: "an invalid percent-encoding", attempt: () => ({ query: "token=%E0%A4%A" }) },
  // KMS-shaped tokens at a server that offers only STS.
  { name: "valid base64 of junk", attempt: () => ({ query: q(randomBytes(64).toString("base64")) }) },
  {
    name: "kms1. and valid base64 of junk",
    attempt: () => ({ query: q(`kms1.${randomBytes(64).toString("base64")}`) }),
  },
  { name: "base64 with the URL-safe alphabet", attempt: () => ({ query: q("ab-_cd-_") }) },
  { name: "base64 missing its padding", attempt: () => ({ query: q("YWJjZA") }) },
  { name: "base64 with extra padding", attempt: () => ({ query: q("YWJjZA====") }) },
  { name: "base64 with whitespace inside", attempt: () => ({ query: q("YWJj ZA==") }) },
  { name: "a JWT", attempt: () => ({ query: q("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.") }) },
  // The sts1. envelope.
  { name: "sts1. alone", attempt: () => ({ query: q("sts1.") }), reason: malformed },
  { name: "sts1.. (empty nonce and URL)", attempt: () => ({ query: q("sts1..") }), reason: malformed },
  {
    name: "a proof truncated to its nonce",
    attempt: (f) => ({ query: q(`sts1.${f.nonce}`), cookie: f.cookie }),
    reason: malformed,
  },
  {
    name: "a proof truncated to half its length",
    attempt: (f) => ({ query: q(f.proof.slice(0, Math.floor(f.proof.length / 2))), cookie: f.cookie }),
    reason: /malformed|rejected/,
  },
  {
    name: "a proof with a third part",
    attempt: (f) => ({ query: q(`${f.proof}.x`), cookie: f.cookie }),
    reason: malformed,
  },
  {
    name: "a nonce of 15 characters",
    attempt: (f) => ({ query: q(`sts1.${"a".repeat(15)}.${b64url(f.url)}`) }),
    reason: /not a nonce/,
  },
  {
    name: "a nonce with a character outside base64url",
    attempt: (f) => ({ query: q(`sts1.${f.nonce.slice(1)}+.${b64url(f.url)}`) }),
    reason: /not a nonce/,
  },
  {
    name: "the URL in standard base64 with padding",
    attempt: (f) => ({
      query: q(`sts1.${f.nonce}.${Buffer.from(`${f.url}x`).toString("base64")}`),
      cookie: f.cookie,
    }),
    reason: malformed,
  },
  {
    name: "the URL in non-canonical base64url (stray trailing bits)",
    attempt: (f) => ({ query: q(`sts1.${f.nonce}.${b64url("ab").slice(0, -1)}J`), cookie: f.cookie }),
    reason: malformed,
  },
  {
    name: "the URL part is invalid UTF-8",
    attempt: (f) => ({
      query: q(`sts1.${f.nonce}.${Buffer.from([0xff, 0xfe, 0x80]).toString("base64url")}`),
      cookie: f.cookie,
    }),
    reason: /not UTF-8/,
  },
  {
    name: "the URL part is valid base64url of junk",
    attempt: (f) => ({ query: q(sts(f, randomBytes(40).toString("hex"))), cookie: f.cookie }),
    reason: /not a URL/,
  },
  // The presigned URL: where it points.
  {
    name: "http:// to the real STS host",
    attempt: onOrigin("http://sts.amazonaws.com"),
    reason: /not https/,
  },
  {
    name: "port 8443 on the real STS host",
    attempt: onOrigin("https://sts.amazonaws.com:8443"),
    reason: /names a port/,
  },
  {
    name: "userinfo before the real STS host",
    attempt: onOrigin("https://sts.amazonaws.com@evil.example"),
    reason: /userinfo/,
  },
  {
    name: "userinfo naming the STS host",
    attempt: onOrigin("https://evil.example@sts.amazonaws.com"),
    reason: /userinfo/,
  },
  {
    name: "sts.amazonaws.com.evil.example",
    attempt: onOrigin("https://sts.amazonaws.com.evil.example"),
    reason: notSts,
  },
  {
    name: "sts.amazonaws.com. (trailing dot)",
    attempt: onOrigin("https://sts.amazonaws.com."),
    reason: notSts,
  },
  { name: "stsXamazonaws.com", attempt: onOrigin("https://stsXamazonaws.com"), reason: notSts },
  { name: "sts-amazonaws.com", attempt: onOrigin("https://sts-amazonaws.com"), reason: notSts },
  { name: "sts.amazonaws.co", attempt: onOrigin("https://sts.amazonaws.co"), reason: notSts },
  {
    name: "sts.amazonaws.com.cn without a region",
    attempt: onOrigin("https://sts.amazonaws.com.cn"),
    reason: notSts,
  },
  {
    name: "evil-sts.us-east-1.amazonaws.com",
    attempt: onOrigin("https://evil-sts.us-east-1.amazonaws.com"),
    reason: notSts,
  },
  {
    name: "sts.us-east-1.amazonaws.com.attacker.example",
    attempt: onOrigin("https://sts.us-east-1.amazonaws.com.attacker.example"),
    reason: notSts,
  },
  { name: "a Cyrillic о in amazonaws", attempt: onOrigin("https://sts.amazоnaws.com"), reason: notSts },
  { name: "a full-width dot", attempt: onOrigin("https://sts。amazonaws。com.evil.example"), reason: notSts },
  {
    name: "a percent-encoded dot",
    attempt: onOrigin("https://sts%2eamazonaws%2ecom.evil.example"),
    reason: /not an AWS STS endpoint|not a URL/,
  },
  { name: "an IPv4 address", attempt: onOrigin("https://52.94.0.1"), reason: notSts },
  { name: "an IPv4 address in hex", attempt: onOrigin("https://0x7f.1"), reason: notSts },
  { name: "an IPv6 address", attempt: onOrigin("https://[::1]"), reason: notSts },
  { name: "localhost", attempt: onOrigin("https://localhost"), reason: notSts },
  {
    name: "the local AWS on https (not its test origin)",
    attempt: mutated((url) => url.replace(/^http:/, "https:")),
    reason: /names a port|not an AWS STS endpoint/,
  },
  {
    name: "the local AWS on another port",
    attempt: mutated((url) => url.replace(/:(\d+)\//, (_m, p: string) => `:${Number(p) + 1}/`)),
    reason: /not https/,
  },
  {
    name: "the local AWS by the name localhost",
    attempt: mutated((url) => url.replace("127.0.0.1", "localhost")),
    reason: /not https/,
  },
  {
    name: "a path other than /",
    attempt: mutated((url) => url.replace(/(:\d+)\//, "$1/x")),
    reason: /path is not/,
  },
  { name: "a path //", attempt: mutated((url) => url.replace(/(:\d+)\//, "$1//")), reason: /path is not/ },
  { name: "a fragment", attempt: appended("#frag"), reason: /fragment/ },
  {
    name: "a scheme other than http(s)",
    attempt: mutated((url) => url.replace(/^http:/, "file:")),
    reason: rejected,
  },
  { name: "a javascript: URL", attempt: mutated(() => "javascript:alert(1)"), reason: rejected },
  // The presigned URL: its query.
  {
    name: "Action repeated in another case",
    attempt: appended("&action=GetCallerIdentity"),
    reason: /repeated/,
  },
  {
    name: "X-Amz-Signature repeated in another case",
    attempt: appended("&x-amz-signature=00"),
    reason: /repeated/,
  },
  { name: "Action repeated exactly", attempt: appended("&Action=GetCallerIdentity"), reason: /repeated/ },
  {
    name: "an unexpected parameter",
    attempt: appended("&X-Amz-Extra=1"),
    reason: /unexpected query parameter/,
  },
  { name: "a parameter that is only a key", attempt: appended("&Foo"), reason: /unexpected query parameter/ },
  ...[
    "Action",
    "Version",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
  ].map((name): TokenRow => ({
    name: `${name} missing`,
    attempt: withParam(name, undefined),
    reason: /is missing/,
  })),
  { name: "Action=AssumeRole", attempt: withParam("Action", "AssumeRole"), reason: /Action is not/ },
  {
    name: "Action in lower case",
    attempt: withParam("Action", "getcalleridentity"),
    reason: /Action is not/,
  },
  { name: "another Version", attempt: withParam("Version", "2012-01-01"), reason: /Version is not/ },
  {
    name: "another X-Amz-Algorithm",
    attempt: withParam("X-Amz-Algorithm", "AWS4-HMAC-SHA1"),
    reason: /X-Amz-Algorithm/,
  },
  {
    name: "X-Amz-SignedHeaders host only",
    attempt: withParam("X-Amz-SignedHeaders", "host"),
    reason: /X-Amz-SignedHeaders/,
  },
  {
    name: "X-Amz-SignedHeaders without the nonce",
    attempt: withParam("X-Amz-SignedHeaders", "host;x-iam-auth-server-id"),
    reason: /X-Amz-SignedHeaders/,
  },
  {
    name: "X-Amz-SignedHeaders reordered",
    attempt: withParam("X-Amz-SignedHeaders", "host;x-iam-auth-server-id;x-iam-auth-nonce"),
    reason: /X-Amz-SignedHeaders/,
  },
  {
    name: "X-Amz-SignedHeaders upper-case",
    attempt: withParam("X-Amz-SignedHeaders", "HOST;X-IAM-AUTH-NONCE;X-IAM-AUTH-SERVER-ID"),
    reason: /X-Amz-SignedHeaders/,
  },
  { name: "X-Amz-Date not a date", attempt: withParam("X-Amz-Date", "yesterday"), reason: /X-Amz-Date/ },
  {
    name: "X-Amz-Date on February 30",
    attempt: withParam("X-Amz-Date", "20260230T000000Z"),
    reason: /X-Amz-Date is not a date/,
  },
  {
    name: "X-Amz-Date in 1999",
    attempt: withParam("X-Amz-Date", "19990101T000000Z"),
    reason: /too long ago/,
  },
  {
    name: "X-Amz-Date in 2099",
    attempt: withParam("X-Amz-Date", "20990101T000000Z"),
    reason: /in the future/,
  },
  ...["1e2", "0x3c", " 60", "60.0", "060", "0", "-1", "99999999"].map((value): TokenRow => ({
    name: `X-Amz-Expires=${JSON.stringify(value)}`,
    attempt: withParam("X-Amz-Expires", value),
    reason: /X-Amz-Expires/,
  })),
  {
    name: "X-Amz-Credential with no slashes",
    attempt: withParam("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE"),
    reason: /X-Amz-Credential is malformed/,
  },
  {
    name: "X-Amz-Credential with an extra part",
    attempt: mutated((url) => url.replace("aws4_request", "aws4_request%2Fx")),
    reason: /X-Amz-Credential is malformed/,
  },
  {
    name: "X-Amz-Credential for another service",
    attempt: mutated((url) => url.replace("%2Fsts%2F", "%2Fiam%2F")),
    reason: /not signed for STS/,
  },
  {
    name: "X-Amz-Credential with another date",
    attempt: mutated((url) => url.replace(/(X-Amz-Credential=[^%]+%2F)\d{8}/, "$119990101")),
    reason: /scope date/,
  },
  {
    name: "X-Amz-Credential with a bad region",
    attempt: mutated((url) => url.replace(`%2F${region}%2F`, "%2FUS_EAST%2F")),
    reason: /region/,
  },
  {
    name: "a regional host of another region",
    attempt: mutated((url) => url.replace(/^http:\/\/[^/]+/, "https://sts.eu-west-1.amazonaws.com")),
    reason: /region/,
  },
  {
    name: "X-Amz-Credential with a lower-case key id",
    attempt: mutated((url) =>
      url.replace(/X-Amz-Credential=[A-Z0-9]+/, "X-Amz-Credential=akiaexample0000000"),
    ),
    reason: /X-Amz-Credential is malformed/,
  },
  // The nonce and its cookie.
  {
    name: "no nonce cookie",
    attempt: (f) => ({ query: q(f.proof) }),
    reason: /nonce cookie|sign-in did not start/i,
  },
  {
    name: "another challenge's nonce cookie",
    attempt: (f, other) => ({ query: q(f.proof), cookie: other.cookie }),
    reason: /nonce cookie|sign-in did not start/i,
  },
  {
    name: "a forged nonce cookie value",
    attempt: (f) => ({
      query: q(f.proof),
      cookie: f.cookie.replace(/=(.)/, (_m, c: string) => `=${c === "A" ? "B" : "A"}`),
    }),
    reason: /nonce cookie|sign-in did not start/i,
  },
  {
    name: "200 junk cookies and no nonce cookie",
    attempt: (f) => ({
      query: q(f.proof),
      cookie: Array.from({ length: 200 }, (_, i) => `c${i}=${i}`).join("; "),
    }),
  },
  {
    name: "a nonce in nonce format that this server never made",
    attempt: (f) => ({
      query: q(formatStsProof({ nonce: "A".repeat(76), presignedUrl: f.url })),
      cookie: f.cookie,
    }),
    reason: /nonce/i,
  },
  {
    name: "another server's good proof, with its nonce cookie",
    attempt: (_f, _other, foreign) => ({ query: q(foreign.proof), cookie: foreign.cookie }),
    reason: /nonce/i,
  },
  {
    name: "another server's good proof, with this server's nonce cookie",
    attempt: (f, _other, foreign) => ({ query: q(foreign.proof), cookie: f.cookie }),
    reason: /nonce/i,
  },
  {
    name: "a nonce with one character changed",
    attempt: (f) => ({
      query: q(sts({ ...f, nonce: `${f.nonce.slice(0, -1)}${f.nonce.endsWith("A") ? "B" : "A"}` }, f.url)),
      cookie: f.cookie,
    }),
    reason: /nonce/i,
  },
  {
    name: "signed 10 minutes ago",
    attempt: async (f) => ({
      query: q(sts(f, await presignFor(f, { signingDate: new Date(Date.now() - 600_000) }))),
      cookie: f.cookie,
    }),
    reason: /too long ago|expired/,
  },
  {
    name: "signed 10 minutes in the future",
    attempt: async (f) => ({
      query: q(sts(f, await presignFor(f, { signingDate: new Date(Date.now() + 600_000) }))),
      cookie: f.cookie,
    }),
    reason: /future/,
  },
  // Proofs that pass every local check: STS refuses them (one call each), and still no session.
  {
    name: "signed for another server-id (STS refuses the signature)",
    attempt: async (f) => ({
      query: q(sts(f, await presignFor(f, { serverId: "other.example:1" }))),
      cookie: f.cookie,
    }),
    stsCalls: 1,
    reason: /SignatureDoesNotMatch/,
  },
  {
    name: "signed for another nonce (STS refuses the signature)",
    attempt: async (f, other) => ({
      query: q(sts(f, await presignFor(f, { nonce: other.nonce }))),
      cookie: f.cookie,
    }),
    stsCalls: 1,
    reason: /SignatureDoesNotMatch/,
  },
  {
    name: "signed with a wrong secret key",
    attempt: async (f) => ({
      query: q(
        sts(
          f,
          await presignFor(f, {
            credentials: { ...users.demo, secretAccessKey: "not-the-secret-0000000000000000000000000" },
          }),
        ),
      ),
      cookie: f.cookie,
    }),
    stsCalls: 1,
    reason: /SignatureDoesNotMatch/,
  },
  {
    name: "signed with a made-up key id",
    attempt: async (f) => ({
      query: q(
        sts(
          f,
          await presignFor(f, {
            credentials: { accessKeyId: "AKIAMADEUP0000000000", secretAccessKey: "x".repeat(40) },
          }),
        ),
      ),
      cookie: f.cookie,
    }),
    stsCalls: 1,
    reason: /InvalidClientTokenId|refused/,
  },
  {
    name: "a signature of zeros",
    attempt: withParam("X-Amz-Signature", "0".repeat(64)),
    stsCalls: 1,
    reason: /SignatureDoesNotMatch/,
  },
  {
    name: "a user of another account (444455556666)",
    attempt: async (f) => ({
      query: q(sts(f, await presignFor(f, { credentials: users.outsider }))),
      cookie: f.cookie,
    }),
    stsCalls: 1,
    reason: /not allowed|account/i,
  },
];

let localAwsUrl = "";
/** A presigned URL for `fresh` with some inputs changed. */
function presignFor(
  fresh: Fresh,
  change: { signingDate?: Date; serverId?: string; nonce?: string; credentials?: AwsCredentials },
): Promise<string> {
  return presignCallerIdentity({
    credentials: change.credentials ?? users.demo,
    endpoint: localAwsUrl,
    region,
    serverId: change.serverId ?? fresh.serverId,
    nonce: change.nonce ?? fresh.nonce,
    signingDate: change.signingDate ?? new Date(),
  });
}

interface ReturnUrlRow {
  readonly value: string;
  /** The Location of an accepted one when Express re-encodes it (a stray "%" becomes "%25"); default: the value. */
  readonly location?: string;
  /** Refused with RETURN_URL_UNSAFE (403), or accepted: the Location is exactly this value. */
  readonly outcome: "refused" | "kept";
}

const returnUrlRows: readonly ReturnUrlRow[] = [
  ...[
    "//evil.example",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " /evil",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%252F%252Fevil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/%09/evil.example",
    "/%0D%0ALocation:%20http://evil",
    "/%E0%A4%A",
    "http://evil.example",
    "https://evil.example/",
    "HTTP://evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>",
    "evil.example",
    "./evil",
    "../evil",
    "/é",
    "/\u2028",
    "/\0",
    "/a\\b",
    `/${"a".repeat(2048)}`,
  ].map((value): ReturnUrlRow => ({ value, outcome: "refused" })),
  ...["/", "/a/b?c=d", "/?q=%2F%2Fevil", "/x#frag", "/?p=C:\\Users", "/a/../b", "/@evil.example"].map(
    (value): ReturnUrlRow => ({ value, outcome: "kept" }),
  ),
  { value: "/?q=100%", outcome: "kept", location: "/?q=100%25" },
];

/**
 * The token rows as header proofs. Left out: the rows whose only fault is the nonce cookie (a
 * header proof needs none, so their proof is a good one there) and `token[]=` (no token).
 */
const cookieOnlyRows = new Set([
  "no nonce cookie",
  "another challenge's nonce cookie",
  "a forged nonce cookie value",
  "200 junk cookies and no nonce cookie",
  "token[]= array syntax",
]);
const headerTokenRows = tokenRows.filter((row) => !cookieOnlyRows.has(row.name));

/**
 * The Authorization values for a row's query: `IAM <token>` for each `token` in it (a repeated
 * token becomes a repeated header). A header cannot carry control characters or characters past
 * U+00FF at all (no client sends them), so such a token is sent percent-encoded: junk of the same kind.
 */
function headerProofValues(query: string): string[] {
  const tokens = new URLSearchParams(query).getAll("token");
  return tokens.map(
    (token) => `IAM ${/^[\x21-\x7e\x80-\xff]*$/.test(token) ? token : encodeURIComponent(token)}`,
  );
}

interface CookieRow {
  readonly name: string;
  readonly cookie: (good: string) => string;
}

describe("hostile input at /auth and the session, example server and gateway (real processes)", () => {
  let aws: LocalAws;
  let secretDir = "";
  let app: Server;
  const servers = new Map<string, RunningService>();
  /** A session cookie pair each server issued to the demo user at the start, for the cookie rows. */
  const goodCookies = new Map<string, string>();

  before(async () => {
    aws = await startLocalAws(suite);
    localAwsUrl = aws.url;
    secretDir = mkdtempSync(join(tmpdir(), "iam-auth-hostile-"));
    const secretFile = join(secretDir, "session-secret");
    const sessionSecret = randomBytes(32).toString("hex");
    const secretKey = randomBytes(32).toString("hex");
    writeFileSync(secretFile, sessionSecret, { mode: 0o600 });
    recordServerSecrets(suite, [sessionSecret, secretKey]);
    app = createServer((_req, res) => res.end("app\n"));
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const [example, gateway] = await Promise.all([
      startStsOnlyApp(suite, aws.url, secretKey),
      startService({
        script: "gateway/cli/main.js",
        args: [
          "--bind",
          "127.0.0.1:0",
          "--upstream",
          `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
          "--account",
          accountId,
          "--session-secret-file",
          secretFile,
          "--test-sts-endpoint",
          aws.url,
        ],
        logName: `${suite}/gateway.log`,
      }),
    ]);
    servers.set("example-server", example);
    servers.set("gateway", gateway);
  });

  after(async () => {
    for (const server of servers.values()) await server.stop();
    await aws?.stop();
    await new Promise<void>((resolve) => (app === undefined ? resolve() : app.close(() => resolve())));
    if (secretDir !== "") rmSync(secretDir, { recursive: true, force: true });
  });

  async function challenge(server: RunningService, localAddress: string): Promise<Fresh> {
    const response = await sendRequest(server.url, "/", { localAddress });
    assert.equal(response.status, 401);
    const lookup = findIamChallenge([String(response.headers["www-authenticate"])]);
    if (lookup.kind !== "iam")
      throw new Error(`no IAM challenge: ${String(response.headers["www-authenticate"])}`);
    const nonce = lookup.challenge.params.get("nonce") ?? "";
    const serverId = lookup.challenge.params.get("server-id") ?? "";
    const cookie = (response.headers["set-cookie"] ?? []).map((field) => field.split(";", 1)[0]).join("; ");
    const url = await presignCallerIdentity({
      credentials: users.demo,
      endpoint: aws.url,
      region,
      serverId,
      nonce,
      signingDate: new Date(),
    });
    return { nonce, cookie, serverId, url, proof: formatStsProof({ nonce, presignedUrl: url }) };
  }

  /** The server still serves: a plain request gets the IAM challenge. */
  async function assertStillServing(server: RunningService, label: string): Promise<void> {
    const response = await sendRequest(server.url, "/");
    assert.equal(response.status, 401, `${label}: the next request is served`);
    assert.match(String(response.headers["www-authenticate"]), /^IAM realm="/, label);
  }

  const stsCalls = async (): Promise<number> => (await aws.calls())["sts:GetCallerIdentity"] ?? 0;

  /** Signs in with a good proof; returns the session cookies. */
  async function signIn(
    server: RunningService,
    returnUrl = "/",
  ): Promise<{ location: string; cookie: string }> {
    const source = freshSourceAddress();
    const fresh = await challenge(server, source);
    const response = await sendRequest(
      server.url,
      `/auth?return_url=${encodeURIComponent(returnUrl)}&${q(fresh.proof)}`,
      { headers: { cookie: fresh.cookie }, localAddress: source },
    );
    assert.equal(response.status, 302, response.body);
    const cookie = sessionCookiesSet(response.headers)
      .map((field) => field.split(";", 1)[0])
      .join("; ");
    return { location: String(response.headers.location), cookie };
  }

  for (const target of ["example-server", "gateway"]) {
    describe(`${target}: tokens and STS proofs at /auth`, () => {
      for (const row of tokenRows) {
        it(`refuses ${row.name}: 4xx, one line, no session, ${row.stsCalls ?? 0} STS calls`, async () => {
          const server = servers.get(target);
          assert.ok(server !== undefined);
          const source = freshSourceAddress();
          const fresh = await challenge(server, source);
          const other = await challenge(server, source);
          const foreignServer = servers.get(target === "gateway" ? "example-server" : "gateway");
          assert.ok(foreignServer !== undefined);
          const attempt = await row.attempt(fresh, other, await challenge(foreignServer, source));
          const before = await stsCalls();
          const response = await sendRequest(server.url, `/auth?return_url=%2F&${attempt.query}`, {
            headers: attempt.cookie === undefined ? {} : { cookie: attempt.cookie },
            localAddress: source,
          });
          assertOneLineRefusal(response, row.name);
          if (row.reason !== undefined) assert.match(response.body, row.reason, row.name);
          assert.equal(
            (await stsCalls()) - before,
            row.stsCalls ?? 0,
            `${row.name}: sts:GetCallerIdentity calls`,
          );
          await assertStillServing(server, row.name);
        });
      }

      it("still signs in with a good proof after every hostile one", async () => {
        const server = servers.get(target);
        assert.ok(server !== undefined);
        const { cookie } = await signIn(server);
        const home = await sendRequest(server.url, "/", { headers: { cookie } });
        assert.equal(home.status, 200);
        reportCases("auth-token", target, tokenRows.length);
      });
    });

    describe(`${target}: tokens and STS proofs in the Authorization header`, () => {
      for (const row of headerTokenRows) {
        it(`refuses ${row.name} as a header proof: 4xx, one line, no session, ${row.stsCalls ?? 0} STS calls`, async () => {
          const server = servers.get(target);
          assert.ok(server !== undefined);
          const source = freshSourceAddress();
          const fresh = await challenge(server, source);
          const other = await challenge(server, source);
          const foreignServer = servers.get(target === "gateway" ? "example-server" : "gateway");
          assert.ok(foreignServer !== undefined);
          const attempt = await row.attempt(fresh, other, await challenge(foreignServer, source));
          const before = await stsCalls();
          const response = await sendRequest(server.url, "/", {
            headers: { authorization: headerProofValues(attempt.query) },
            localAddress: source,
          });
          assertOneLineRefusal(response, row.name);
          assert.equal(
            (await stsCalls()) - before,
            row.stsCalls ?? 0,
            `${row.name}: sts:GetCallerIdentity calls`,
          );
          await assertStillServing(server, row.name);
        });
      }

      it("still serves a good header proof after every hostile one, once", async () => {
        const server = servers.get(target);
        assert.ok(server !== undefined);
        const fresh = await challenge(server, freshSourceAddress());
        const first = await sendRequest(server.url, "/", {
          headers: { authorization: `IAM ${fresh.proof}` },
        });
        assert.equal(first.status, 200, first.body);
        assert.deepEqual(sessionCookiesSet(first.headers), [], "a header proof starts no session");
        const replay = await sendRequest(server.url, "/", {
          headers: { authorization: `IAM ${fresh.proof}` },
        });
        assertOneLineRefusal(replay, "the same header again");
        assert.equal(replay.status, 403);
        reportCases("header-token", target, headerTokenRows.length + 1);
      });
    });

    describe(`${target}: return_url`, () => {
      for (const row of returnUrlRows) {
        it(`${row.outcome === "refused" ? "refuses" : "keeps"} return_url ${JSON.stringify(row.value.slice(0, 60))}, never a redirect off the origin`, async () => {
          const server = servers.get(target);
          assert.ok(server !== undefined);
          const source = freshSourceAddress();
          const fresh = await challenge(server, source);
          const before = await stsCalls();
          const response = await sendRequest(
            server.url,
            `/auth?return_url=${encodeURIComponent(row.value)}&${q(fresh.proof)}`,
            { headers: { cookie: fresh.cookie }, localAddress: source },
          );
          if (row.outcome === "refused") {
            assertOneLineRefusal(response, row.value);
            assert.match(response.body, /^return_url must be a path on this site: /);
            assert.equal((await stsCalls()) - before, 0, "refused before any AWS call");
          } else {
            assert.equal(response.status, 302, response.body);
            assert.equal(response.headers.location, row.location ?? row.value);
            assert.equal(new URL(row.value, server.url).origin, server.url);
          }
          if (response.status === 302) {
            const location = String(response.headers.location);
            assert.equal(new URL(location, server.url).origin, new URL(server.url).origin);
          }
          await assertStillServing(server, row.value);
        });
      }

      it("counts its cases", () => reportCases("return-url", target, returnUrlRows.length));
    });

    describe(`${target}: session cookies`, () => {
      const sessionName = (good: string): string => good.split("=", 1)[0] ?? "";
      const value = (good: string): string => /=([^;]*)/.exec(good)?.[1] ?? "";
      const cookieRows: readonly CookieRow[] = [
        { name: "no cookie at all", cookie: () => "" },
        { name: "the session value with no signature", cookie: (good) => good.split("; ")[0] ?? "" },
        { name: "the signature with no session value", cookie: (good) => good.split("; ")[1] ?? "" },
        {
          name: "a forged session value with the good signature",
          cookie: (good) =>
            good.replace(
              value(good),
              Buffer.from(
                JSON.stringify({
                  arn: users.outsider.arn,
                  account: "444455556666",
                  userId: "X",
                  issuedAt: new Date().toISOString(),
                }),
              ).toString("base64"),
            ),
        },
        {
          name: "a session signed with another secret",
          cookie: (good) => good.replace(/\.sig=[^;]+/, `.sig=${randomBytes(20).toString("base64url")}`),
        },
        { name: "an empty signature", cookie: (good) => good.replace(/\.sig=[^;]+/, ".sig=") },
        {
          name: "a session value that is not base64",
          cookie: (good) => good.replace(value(good), "%%%not-base64%%%"),
        },
        {
          name: "a session value of base64 junk",
          cookie: (good) => good.replace(value(good), randomBytes(48).toString("base64")),
        },
        {
          name: "a session value of base64 JSON that is an array",
          cookie: (good) => good.replace(value(good), Buffer.from("[1,2]").toString("base64")),
        },
        {
          name: "an oversized session value (6 KB)",
          cookie: (good) => good.replace(value(good), "A".repeat(6000)),
        },
        {
          name: "200 cookies",
          cookie: () => Array.from({ length: 200 }, (_, i) => `c${i}=${"v".repeat(20)}`).join("; "),
        },
        {
          name: "200 copies of a forged session cookie",
          cookie: (good) => Array.from({ length: 200 }, () => `${sessionName(good)}=x`).join("; "),
        },
        {
          name: "a forged cookie before the good pair",
          cookie: (good) => `${sessionName(good)}=forged; ${sessionName(good)}.sig=forged`,
        },
        { name: "bad syntax: no '=' anywhere", cookie: () => "garbage;;;;==;;; ;" },
        {
          name: "bad syntax: quotes and commas",
          cookie: (good) => `${sessionName(good)}="${value(good)}", x=1`,
        },
        { name: "bad syntax: raw non-ASCII", cookie: (good) => `${sessionName(good)}=\u00e9\u00e9` },
        {
          name: "a percent-encoded value that does not decode",
          cookie: (good) => `${sessionName(good)}=%E0%A4%A; ${sessionName(good)}.sig=%`,
        },
        {
          name: "a nonce cookie in place of the session",
          cookie: () => "iam-auth-session-nonce-AAAAAAAAAAA=x",
        },
        {
          name: "__proto__ and constructor cookie names",
          cookie: () => "__proto__=x; constructor=y; hasOwnProperty=z",
        },
        {
          name: "a session issued far in the future, signed with a wrong signature",
          cookie: (good) =>
            good.replace(
              value(good),
              Buffer.from(
                JSON.stringify({
                  arn: users.demo.arn,
                  account: accountId,
                  userId: "X",
                  issuedAt: "2999-01-01T00:00:00.000Z",
                }),
              ).toString("base64"),
            ),
        },
      ];

      before(async () => {
        const server = servers.get(target);
        assert.ok(server !== undefined);
        goodCookies.set(target, (await signIn(server)).cookie);
      });

      for (const row of cookieRows) {
        it(`treats ${row.name} as no session: the challenge, never a 500`, async () => {
          const server = servers.get(target);
          const good = goodCookies.get(target);
          assert.ok(server !== undefined && good !== undefined);
          const cookie = row.cookie(good);
          const response = await sendRequest(server.url, "/", { headers: cookie === "" ? {} : { cookie } });
          assert.equal(response.status, 401, `${row.name}: ${response.body.slice(0, 200)}`);
          assert.match(String(response.headers["www-authenticate"]), /^IAM realm="/);
          assert.deepEqual(sessionCookiesSet(response.headers), []);
          const whoami = await sendRequest(server.url, "/auth/whoami", {
            headers: cookie === "" ? {} : { cookie },
          });
          assert.equal(whoami.status, 401, `${row.name}: whoami`);
        });
      }

      it("still accepts the good session after every hostile cookie", async () => {
        const server = servers.get(target);
        const good = goodCookies.get(target);
        assert.ok(server !== undefined && good !== undefined);
        const response = await sendRequest(server.url, "/", { headers: { cookie: good } });
        assert.equal(response.status, 200);
        reportCases("session-cookie", target, cookieRows.length);
      });
    });
  }
});
