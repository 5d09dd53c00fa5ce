import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { findIamChallenge, formatStsProof, WWW_AUTHENTICATE_HEADER } from "../../protocol/index.js";
import { presignCallerIdentity } from "../../proxy/aws/sts-presign.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";
import { findAuditEvents } from "../helpers/audit-log.js";

/*
 * Regression for the lock-out found by attacking the demo: anyone, without AWS credentials,
 * sent junk STS proofs (a made-up key id, a signature of zeros). Each junk proof spent the
 * nonce it named and made the server call STS, and 100,000 of them filled the replay store,
 * after which every real sign-in got 503 REPLAY_STORE_FULL. Here 3,000 junk proofs come from
 * one address (127.0.0.2) while the person signs in from another (127.0.0.1), against the real
 * example server and local AWS.
 */

const { users, region, accountId } = demoAccount;
const suite = "sts-junk-flood-e2e";
const JUNK_PROOFS = 3000;
/** The middleware's default failedSignInLimit.maxFailures. */
const DEFAULT_MAX_FAILURES = 20;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function get(
  url: string,
  options: { agent?: Agent; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        headers: options.headers ?? {},
        agent: options.agent ?? false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("error", reject);
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** A presigned-looking GetCallerIdentity no AWS key signed: a made-up key id and 64 zeros. */
function junkUrl(stsOrigin: string, now: Date): string {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const query = new URLSearchParams({
    Action: "GetCallerIdentity",
    Version: "2011-06-15",
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": `AKIA${randomBytes(8).toString("hex").toUpperCase()}/${amzDate.slice(0, 8)}/${region}/sts/aws4_request`,
    "X-Amz-Date": amzDate,
    "X-Amz-Expires": "60",
    "X-Amz-SignedHeaders": "host;x-iam-auth-nonce;x-iam-auth-server-id",
    "X-Amz-Signature": "0".repeat(64),
  });
  return `${stsOrigin}/?${query.toString()}`;
}

describe("3,000 junk STS proofs from one address (real processes)", () => {
  let localAws: LocalAws;
  let server: RunningService;
  const attacker = new Agent({ keepAlive: true, maxSockets: 50, localAddress: "127.0.0.2" });

  before(async () => {
    localAws = await startLocalAws(suite);
    server = await startService({
      script: "example-server/main.js",
      env: {
        AWS_ACCOUNT_ID: accountId,
        SECRET_KEY: randomBytes(32).toString("hex"),
        PORT: "0",
        IAM_AUTH_TEST_STS_ENDPOINT: localAws.url,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
      },
      logName: `${suite}/example-server.log`,
    });
    await localAws.resetCalls();
  });
  after(async () => {
    attacker.destroy();
    await server?.stop();
    await localAws?.stop();
  });

  it("cost a bounded number of STS calls, spent no nonce, and the person still signs in", async () => {
    const serverId = new URL(server.url).host;
    // The person is challenged first; the junk names the person's own nonce.
    const challenge = await get(`${server.url}/`, { headers: { accept: "text/plain" } });
    assert.equal(challenge.status, 401);
    const lookup = findIamChallenge([String(challenge.headers[WWW_AUTHENTICATE_HEADER])]);
    assert.ok(lookup.kind === "iam");
    const nonce = lookup.challenge.params.get("nonce") ?? "";

    // The attacker has a challenge of its own (a nonce and its cookie), so its junk gets past
    // every local check and would reach STS; junk naming the person's nonce is refused locally.
    const own = await get(`${server.url}/`, { agent: attacker, headers: { accept: "text/plain" } });
    const ownLookup = findIamChallenge([String(own.headers[WWW_AUTHENTICATE_HEADER])]);
    assert.ok(ownLookup.kind === "iam");
    const attackerNonce = ownLookup.challenge.params.get("nonce") ?? "";
    const attackerCookie = ((own.headers["set-cookie"] as string[] | undefined) ?? [])
      .map((line) => line.split(";")[0])
      .join("; ");

    const statuses = new Map<number, number>();
    let refusedBySts = 0;
    let next = 0;
    const sendJunk = async (): Promise<void> => {
      while (next < JUNK_PROOFS) {
        // Every tenth names the person's nonce, without a cookie for it.
        const personal = next % 10 === 0;
        next++;
        const token = formatStsProof({
          nonce: personal ? nonce : attackerNonce,
          presignedUrl: junkUrl(localAws.url, new Date()),
        });
        const answer = await get(`${server.url}/auth?return_url=%2F&token=${encodeURIComponent(token)}`, {
          agent: attacker,
          headers: personal ? {} : { cookie: attackerCookie },
        });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.body === "AWS STS rejected the proof (InvalidClientTokenId)\n") refusedBySts++;
        else if (answer.status === 403) {
          assert.equal(
            answer.body,
            "The sign-in did not come from the browser that was challenged: its nonce cookie is missing\n",
          );
        }
        if (answer.status === 429) {
          assert.match(
            answer.body,
            /^Too many failed sign-ins from this address; try again in \d+ seconds\n$/,
          );
          assert.match(String(answer.headers["retry-after"]), /^\d+$/);
        }
        assert.equal(answer.headers["set-cookie"], undefined, "junk never gets a session");
      }
    };
    await Promise.all(Array.from({ length: 50 }, sendJunk));

    assert.deepEqual([...statuses.keys()].sort(), [403, 429]);
    assert.equal((statuses.get(403) ?? 0) + (statuses.get(429) ?? 0), JUNK_PROOFS);
    // At most one window's failures reached STS (the limit counts attempts as they arrive).
    const stsCalls = (await localAws.calls())["sts:GetCallerIdentity"] ?? 0;
    assert.equal(stsCalls, refusedBySts);
    assert.ok(stsCalls <= DEFAULT_MAX_FAILURES, `${stsCalls} STS calls`);

    // The person signs in with the very nonce the junk named: it was never spent.
    const personCookie = ((challenge.headers["set-cookie"] as string[] | undefined) ?? [])
      .map((line) => line.split(";")[0])
      .join("; ");
    const url = await presignCallerIdentity({
      credentials: users.demo,
      endpoint: localAws.url,
      region,
      serverId,
      nonce,
      signingDate: new Date(),
    });
    const login = await get(
      `${server.url}/auth?return_url=%2F&token=${encodeURIComponent(formatStsProof({ nonce, presignedUrl: url }))}`,
      { headers: { cookie: personCookie } },
    );
    assert.equal(login.status, 302, login.body);
    assert.equal((login.headers["set-cookie"] as string[] | undefined)?.length, 3);
    assert.doesNotMatch(server.output(), /REPLAY_STORE_FULL/);
    assert.ok(
      findAuditEvents(server.output(), { outcome: "refused", reason: "SIGN_IN_RATE_LIMITED", status: 429 })
        .length > 0,
    );
  });
});
