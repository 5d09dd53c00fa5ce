import { request } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { findIamChallenge } from "../../../protocol/index.js";
import { iamAuth, type AuthMethod, type IamAuthOptions } from "../../../server-middleware/index.js";
import {
  ACCOUNT_ID,
  CONTEXT,
  credentialsPlaintext,
  FakeKms,
  FakeSts,
  KEY_ARN,
  SERVER_ID,
} from "./fake-aws.js";
import { FakeStsEndpoint } from "./fake-sts-endpoint.js";

export const SECRET_A = "unit-test-session-secret-A-0123456789abcdef";
export const SECRET_B = "unit-test-session-secret-B-0123456789abcdef";
export const START_TIME = new Date("2030-01-01T00:00:00.000Z");
export { SERVER_ID } from "./fake-aws.js";

export interface TestApp {
  readonly url: string;
  readonly kms: FakeKms;
  readonly sts: FakeSts;
  /** Where the STS method's proofs go. */
  readonly stsEndpoint: FakeStsEndpoint;
  /** Every line the middleware logged. */
  readonly lines: string[];
  /** The middleware's clock: assign `now` to move time. */
  readonly clock: { now: Date };
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The methods offered. Default `["kms"]`. */
  readonly methods?: readonly AuthMethod[];
  readonly options?: Partial<IamAuthOptions>;
  readonly kms?: FakeKms;
  readonly sts?: FakeSts;
  /** Express's `trust proxy` setting. Default: not set. */
  readonly trustProxy?: string;
  /** Where iamAuth is mounted (`app.use(mountPath, iamAuth(…))`), its routes under it too. Default: the root. */
  readonly mountPath?: string;
}

/**
 * An Express app with iamAuth (fake KMS, STS and STS endpoint unless `options` replaces them) on
 * 127.0.0.1:0. Routes: `/` and `/docs` answer the signed-in ARN (or "anonymous"); `/echo` (any
 * method) answers what the app sees as JSON (`method`, `arn`, `authorization`); `/health`
 * and `/static/*` are public. With `mountPath`, all of them are under it, and `/outside` (not
 * behind iamAuth) answers the same.
 */
export async function startTestApp(setup: TestAppOptions = {}): Promise<TestApp> {
  const kms = setup.kms ?? new FakeKms();
  const sts = setup.sts ?? new FakeSts();
  const stsEndpoint = new FakeStsEndpoint();
  const methods = setup.methods ?? ["kms"];
  const lines: string[] = [];
  const clock = { now: START_TIME };
  const app = express();
  if (setup.trustProxy !== undefined) app.set("trust proxy", setup.trustProxy);
  const mount = setup.mountPath ?? "";
  app.use(
    mount || "/",
    iamAuth({
      accountId: ACCOUNT_ID,
      ...(methods.includes("kms")
        ? {
            kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, serverId: SERVER_ID },
            kmsClient: kms.asClient(),
            createStsClient: sts.factory,
          }
        : {}),
      ...(methods.includes("sts") ? { sts: { serverId: SERVER_ID, fetch: stsEndpoint.fetch } } : {}),
      sessionSecrets: [SECRET_A],
      publicPaths: ["/health", "/static/*"],
      clock: () => clock.now,
      // Request ids are random and durations vary: fixed stand-ins keep the lines comparable.
      logger: (line) => lines.push(normaliseAuditLine(line)),
      // Off here: these apps send many refused proofs from one address on purpose; the limit
      // has its own tests (failure-limit.test.ts), which turn it on.
      failedSignInLimit: false,
      ...setup.options,
    }),
  );
  const whoAmI = (req: express.Request, res: express.Response): void => {
    res.type("text/plain").send(req.iamIdentity?.arn ?? "anonymous");
  };
  app.get(`${mount}/`, whoAmI);
  app.get(`${mount}/docs`, whoAmI);
  app.get(`${mount}/health`, whoAmI);
  app.get(`${mount}/static/app.css`, whoAmI);
  // What the app behind the middleware sees of a request: its identity and its Authorization.
  app.all(`${mount}/echo`, (req, res) => {
    res.json({
      method: req.method,
      arn: req.iamIdentity?.arn ?? null,
      authorization: req.headers.authorization ?? null,
    });
  });
  if (mount !== "") app.get("/outside", whoAmI);
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    kms,
    sts,
    stsEndpoint,
    lines,
    clock,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Set-Cookie fields, [] when none. */
  readonly setCookies: readonly string[];
}

/** The nonce cookie each challenge set, by nonce (what the browser that was challenged holds). */
const nonceCookies = new Map<string, string>();

/**
 * One HTTP request with node:http, the path sent exactly as given (no URL normalisation).
 * Like the browser that was challenged, a request for `/auth?token=sts1.<nonce>.…` carries the
 * nonce cookie of the challenge that nonce came from, unless `nonceCookie` is false or the
 * headers name a Cookie themselves.
 */
export function send(
  baseUrl: string,
  path: string,
  init: { method?: string; headers?: Record<string, string | string[]>; nonceCookie?: boolean } = {},
): Promise<HttpResult> {
  const { hostname, port } = new URL(baseUrl);
  const nonce = /[?&]token=sts1\.([A-Za-z0-9_-]+)\./.exec(path)?.[1];
  const cookie = nonce === undefined ? undefined : nonceCookies.get(nonce);
  const headers =
    cookie === undefined || init.nonceCookie === false || init.headers?.cookie !== undefined
      ? init.headers
      : { ...init.headers, cookie };
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, path, method: init.method ?? "GET", headers, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            setCookies: res.headers["set-cookie"] ?? [],
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The Cookie header a browser would send back after these Set-Cookie fields. */
export function cookieHeader(setCookies: readonly string[]): string {
  return setCookies.map((field) => field.split(";")[0]).join("; ");
}

/** Builds `/auth?token=…&return_url=…` with both values URL-encoded, as the proxy does. */
export function authPath(token: string, returnUrl?: string): string {
  const query = new URLSearchParams({ token });
  if (returnUrl !== undefined) query.set("return_url", returnUrl);
  return `/auth?${query.toString()}`;
}

/** Signs in as alice through GET /auth and returns the Cookie header to send afterwards. */
export async function signIn(app: TestApp, returnUrl?: string): Promise<string> {
  const expiration = new Date(app.clock.now.getTime() + 900_000);
  const token = app.kms.encrypt(credentialsPlaintext(expiration));
  const result = await send(app.url, authPath(token, returnUrl));
  if (result.status !== 302) throw new Error(`sign-in failed: ${result.status} ${result.body}`);
  return cookieHeader(result.setCookies);
}

/** The auth-params of the IAM challenge `path` answers with (it must be a 401). */
export async function readChallengeParams(app: TestApp, path = "/"): Promise<ReadonlyMap<string, string>> {
  const result = await send(app.url, path, { headers: { accept: "text/plain" } });
  if (result.status !== 401) throw new Error(`expected a challenge, got ${result.status}`);
  const lookup = findIamChallenge([String(result.headers["www-authenticate"])]);
  if (lookup.kind !== "iam")
    throw new Error(`no IAM challenge: ${String(result.headers["www-authenticate"])}`);
  const nonce = lookup.challenge.params.get("nonce");
  if (nonce !== undefined) nonceCookies.set(nonce, cookieHeader(result.setCookies));
  return lookup.challenge.params;
}

/** A fresh nonce from the app's challenge. */
export async function readNonce(app: TestApp): Promise<string> {
  const nonce = (await readChallengeParams(app)).get("nonce");
  if (nonce === undefined) throw new Error("the challenge has no nonce");
  return nonce;
}

/** A log line with its request id and duration replaced by `requestId=ID` and `durationMs=N`. */
export function normaliseAuditLine(line: string): string {
  return line.replace(/ requestId=[^\s]+/, " requestId=ID").replace(/ durationMs=[^\s]+/, " durationMs=N");
}
