import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { demoAccount } from "../../local-aws/demo-account.js";
import { startService, testLogsDir, type RunningService } from "../helpers/service.js";

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const { users, roles, keys, region } = demoAccount;

describe("local-aws (real process, unmodified AWS SDK clients)", () => {
  // The audit (test/audit) greps every log for the secrets recorded here.
  const secretsFile = join(testLogsDir, "local-aws", "aws-secrets.json");
  let service: RunningService;
  let url: string;
  let stopped = false;
  const clients: { destroy(): void }[] = [];

  before(async () => {
    service = await startService({
      script: "local-aws/main.js",
      args: ["--secrets-file", secretsFile],
      logName: "local-aws/local-aws.log",
    });
    url = service.url;
  });
  after(async () => {
    for (const client of clients) client.destroy();
    if (!stopped) await service.stop();
  });

  // maxAttempts 1: every call reaches local-aws exactly once, so counters and faults are exact.
  const sts = (credentials: Credentials): STSClient => {
    const client = new STSClient({ endpoint: url, region, credentials, maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  const kms = (credentials: Credentials): KMSClient => {
    const client = new KMSClient({ endpoint: url, region, credentials, maxAttempts: 1 });
    clients.push(client);
    return client;
  };

  async function rejectsWith(
    promise: Promise<unknown>,
    name: string,
    status: number,
    message?: string,
  ): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      assert.equal(e.name, name, `error name (message: ${e.message})`);
      assert.equal(e.$metadata?.httpStatusCode, status);
      if (message !== undefined) assert.equal(e.message, message);
      return true;
    });
  }

  async function admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${url}/__local-aws/${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    return { status: response.status, json: await response.json() };
  }

  async function sessionCredentials(client: STSClient, input = {}): Promise<Credentials> {
    const { Credentials: c } = await client.send(new GetSessionTokenCommand(input));
    assert.ok(
      c?.AccessKeyId !== undefined && c.SecretAccessKey !== undefined && c.SessionToken !== undefined,
    );
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  }

  async function roleCredentials(
    client: STSClient,
    input: { RoleArn: string; RoleSessionName: string },
  ): Promise<Credentials> {
    const { Credentials: c } = await client.send(new AssumeRoleCommand(input));
    assert.ok(
      c?.AccessKeyId !== undefined && c.SecretAccessKey !== undefined && c.SessionToken !== undefined,
    );
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  }

  const unknownKey = { accessKeyId: "AKIALOCALUNKNOWN0001", secretAccessKey: "whatever-secret-0000000000" };
  const wrongSecret = { accessKeyId: users.demo.accessKeyId, secretAccessKey: "not-the-right-secret-00000" };

  describe("STS", () => {
    it("GetCallerIdentity names the demo user", async () => {
      const { Account, Arn, UserId } = await sts(users.demo).send(new GetCallerIdentityCommand({}));
      assert.deepEqual(
        { Account, Arn, UserId },
        { Account: demoAccount.accountId, Arn: users.demo.arn, UserId: users.demo.userId },
      );
    });

    it("GetSessionToken issues ASIA credentials that identify as the user", async () => {
      const before = Date.now();
      const { Credentials: c } = await sts(users.demo).send(
        new GetSessionTokenCommand({ DurationSeconds: 900 }),
      );
      assert.match(c?.AccessKeyId ?? "", /^ASIA[A-Z2-7]{16}$/);
      const expiresIn = (c?.Expiration?.getTime() ?? 0) - before;
      assert.ok(expiresIn > 895_000 && expiresIn <= 901_000, `expires in ${expiresIn} ms`);
      const session = {
        accessKeyId: c?.AccessKeyId ?? "",
        secretAccessKey: c?.SecretAccessKey ?? "",
        sessionToken: c?.SessionToken ?? "",
      };
      const { Arn, UserId, Account } = await sts(session).send(new GetCallerIdentityCommand({}));
      assert.deepEqual(
        { Arn, UserId, Account },
        { Arn: users.demo.arn, UserId: users.demo.userId, Account: demoAccount.accountId },
      );
    });

    it("GetSessionToken rejects DurationSeconds below 900", async () => {
      await rejectsWith(
        sts(users.demo).send(new GetSessionTokenCommand({ DurationSeconds: 899 })),
        "ValidationError",
        400,
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: " +
          "Member must have value greater than or equal to 900",
      );
    });

    it("GetSessionToken with session credentials is denied", async () => {
      const session = await sessionCredentials(sts(users.demo));
      await rejectsWith(
        sts(session).send(new GetSessionTokenCommand({})),
        "AccessDenied",
        403,
        "Cannot call GetSessionToken with session credentials",
      );
      const role = await roleCredentials(sts(users.demo), {
        RoleArn: roles.developer.arn,
        RoleSessionName: "chain",
      });
      await rejectsWith(
        sts(role).send(new GetSessionTokenCommand({})),
        "AccessDenied",
        403,
        "Cannot call GetSessionToken with session credentials",
      );
    });

    it("AssumeRole returns the assumed-role user, and its credentials identify as it", async () => {
      const result = await sts(users.demo).send(
        new AssumeRoleCommand({
          RoleArn: roles.developer.arn,
          RoleSessionName: "alice",
          DurationSeconds: 1800,
        }),
      );
      const arn = `arn:aws:sts::${demoAccount.accountId}:assumed-role/Developer/alice`;
      assert.deepEqual(result.AssumedRoleUser, {
        Arn: arn,
        AssumedRoleId: `${roles.developer.roleId}:alice`,
      });
      const c = result.Credentials;
      const role = {
        accessKeyId: c?.AccessKeyId ?? "",
        secretAccessKey: c?.SecretAccessKey ?? "",
        sessionToken: c?.SessionToken ?? "",
      };
      const { Arn, UserId } = await sts(role).send(new GetCallerIdentityCommand({}));
      assert.deepEqual({ Arn, UserId }, { Arn: arn, UserId: `${roles.developer.roleId}:alice` });
    });

    it("AssumeRole by an untrusted principal is denied", async () => {
      await rejectsWith(
        sts(users.exampleServer).send(
          new AssumeRoleCommand({ RoleArn: roles.developer.arn, RoleSessionName: "x1" }),
        ),
        "AccessDenied",
        403,
        `User: ${users.exampleServer.arn} is not authorized to perform: sts:AssumeRole on resource: ${roles.developer.arn}`,
      );
    });

    it("AssumeRole of a role that requires an external id needs exactly that id", async () => {
      const client = sts(users.demo);
      const denied = `User: ${users.demo.arn} is not authorized to perform: sts:AssumeRole on resource: ${roles.externalPartner.arn}`;
      const input = { RoleArn: roles.externalPartner.arn, RoleSessionName: "partner" };
      await rejectsWith(client.send(new AssumeRoleCommand(input)), "AccessDenied", 403, denied);
      await rejectsWith(
        client.send(new AssumeRoleCommand({ ...input, ExternalId: "wrong-id-00" })),
        "AccessDenied",
        403,
        denied,
      );
      const ok = await client.send(
        new AssumeRoleCommand({ ...input, ExternalId: roles.externalPartner.externalId }),
      );
      assert.equal(
        ok.AssumedRoleUser?.Arn,
        `arn:aws:sts::${demoAccount.accountId}:assumed-role/ExternalPartner/partner`,
      );
    });

    it("a user with MFA must present the right code", async () => {
      const client = sts(users.mfaUser);
      await rejectsWith(
        client.send(new GetSessionTokenCommand({})),
        "AccessDenied",
        403,
        `User: ${users.mfaUser.arn} is not authorized to perform: sts:GetSessionToken: ` +
          "MultiFactorAuthentication is required (pass SerialNumber and TokenCode)",
      );
      await rejectsWith(
        client.send(
          new GetSessionTokenCommand({ SerialNumber: users.mfaUser.mfaSerialNumber, TokenCode: "000000" }),
        ),
        "AccessDenied",
        403,
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
      );
      const mfa = { SerialNumber: users.mfaUser.mfaSerialNumber, TokenCode: users.mfaUser.mfaCode };
      const session = await sessionCredentials(client, mfa);
      const role = { RoleArn: roles.developer.arn, RoleSessionName: "mfa" };
      await rejectsWith(client.send(new AssumeRoleCommand(role)), "AccessDenied", 403);
      await client.send(new AssumeRoleCommand({ ...role, ...mfa }));
      // A session obtained with MFA carries it: no second code needed.
      await sts(session).send(new AssumeRoleCommand(role));
    });

    it("an MFA code from a user without that device is refused", async () => {
      await rejectsWith(
        sts(users.demo).send(
          new GetSessionTokenCommand({
            SerialNumber: users.mfaUser.mfaSerialNumber,
            TokenCode: users.mfaUser.mfaCode,
          }),
        ),
        "AccessDenied",
        403,
        "MultiFactorAuthentication failed, unable to validate MFA code. " +
          "Please verify your MFA serial number is valid and associated with this user.",
      );
    });

    it("an unknown access key is InvalidClientTokenId and a wrong secret SignatureDoesNotMatch", async () => {
      await rejectsWith(
        sts(unknownKey).send(new GetCallerIdentityCommand({})),
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
      );
      await rejectsWith(
        sts(wrongSecret).send(new GetCallerIdentityCommand({})),
        "SignatureDoesNotMatch",
        403,
      );
    });
  });

  describe("KMS", () => {
    const context = { purpose: "e2e", request: "r-1" };

    it("Encrypt (demo user) then Decrypt (example-server) round-trips with the context", async () => {
      const plaintext = `e2e-plaintext-${randomUUID()}`;
      for (const keyId of [keys.demo.alias, keys.demo.aliasArn, keys.demo.id, keys.demo.arn]) {
        const encrypted = await kms(users.demo).send(
          new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext), EncryptionContext: context }),
        );
        assert.equal(encrypted.KeyId, keys.demo.arn, keyId);
        assert.equal(encrypted.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");
        assert.ok(
          !Buffer.from(encrypted.CiphertextBlob ?? [])
            .toString("latin1")
            .includes(plaintext),
        );
        const decrypted = await kms(users.exampleServer).send(
          new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }),
        );
        assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString("utf8"), plaintext);
        assert.equal(decrypted.KeyId, keys.demo.arn);
      }
    });

    async function demoCiphertext(): Promise<Uint8Array> {
      const encrypted = await kms(users.demo).send(
        new EncryptCommand({
          KeyId: keys.demo.alias,
          Plaintext: Buffer.from(`p-${randomUUID()}`),
          EncryptionContext: context,
        }),
      );
      return encrypted.CiphertextBlob ?? new Uint8Array();
    }

    it("Decrypt with another context is InvalidCiphertextException", async () => {
      const blob = await demoCiphertext();
      await rejectsWith(
        kms(users.exampleServer).send(
          new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { ...context, request: "r-2" } }),
        ),
        "InvalidCiphertextException",
        400,
      );
      const tampered = Buffer.from(blob);
      tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
      await rejectsWith(
        kms(users.exampleServer).send(
          new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context }),
        ),
        "InvalidCiphertextException",
        400,
      );
    });

    it("Decrypt naming another key is IncorrectKeyException", async () => {
      await rejectsWith(
        kms(users.exampleServer).send(
          new DecryptCommand({
            CiphertextBlob: await demoCiphertext(),
            EncryptionContext: context,
            KeyId: keys.outsiderKey.arn,
          }),
        ),
        "IncorrectKeyException",
        400,
        "The key ID in the request does not identify a CMK that can perform this operation.",
      );
    });

    it("the key policy decides who may decrypt and who may use a foreign key", async () => {
      await rejectsWith(
        kms(users.demo).send(
          new DecryptCommand({ CiphertextBlob: await demoCiphertext(), EncryptionContext: context }),
        ),
        "AccessDeniedException",
        400,
        `User: ${users.demo.arn} is not authorized to perform: kms:Decrypt on resource: ${keys.demo.arn}`,
      );
      await rejectsWith(
        kms(users.demo).send(
          new EncryptCommand({ KeyId: keys.outsiderKey.arn, Plaintext: Buffer.from("x") }),
        ),
        "AccessDeniedException",
        400,
        `User: ${users.demo.arn} is not authorized to perform: kms:Encrypt on resource: ${keys.outsiderKey.arn}`,
      );
      await rejectsWith(
        kms(users.outsider).send(new EncryptCommand({ KeyId: keys.demo.arn, Plaintext: Buffer.from("x") })),
        "AccessDeniedException",
        400,
      );
    });

    it("DescribeKey reports the key; an unknown alias is NotFoundException", async () => {
      const { KeyMetadata } = await kms(users.demo).send(new DescribeKeyCommand({ KeyId: keys.demo.alias }));
      assert.equal(KeyMetadata?.Arn, keys.demo.arn);
      assert.equal(KeyMetadata?.KeyId, keys.demo.id);
      assert.equal(KeyMetadata?.AWSAccountId, demoAccount.accountId);
      await rejectsWith(
        kms(users.demo).send(new DescribeKeyCommand({ KeyId: "alias/missing" })),
        "NotFoundException",
        400,
        `Alias arn:aws:kms:${region}:${demoAccount.accountId}:alias/missing is not found.`,
      );
    });

    it("Encrypt rejects a plaintext over 4096 bytes", async () => {
      await rejectsWith(
        kms(users.demo).send(
          new EncryptCommand({ KeyId: keys.demo.alias, Plaintext: Buffer.alloc(4097, 1) }),
        ),
        "ValidationException",
        400,
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096",
      );
    });

    it("an unknown access key is UnrecognizedClientException and a wrong secret InvalidSignatureException", async () => {
      await rejectsWith(
        kms(unknownKey).send(new DescribeKeyCommand({ KeyId: keys.demo.alias })),
        "UnrecognizedClientException",
        400,
        "The security token included in the request is invalid.",
      );
      await rejectsWith(
        kms(wrongSecret).send(new DescribeKeyCommand({ KeyId: keys.demo.alias })),
        "InvalidSignatureException",
        400,
      );
    });
  });

  describe("expired sessions", () => {
    it("after /sessions/expire, STS says ExpiredToken and KMS ExpiredTokenException", async () => {
      const session = await sessionCredentials(sts(users.demo));
      await sts(session).send(new GetCallerIdentityCommand({}));
      assert.deepEqual(await admin("POST", "sessions/expire", { accessKeyId: session.accessKeyId }), {
        status: 200,
        json: { expired: session.accessKeyId },
      });
      await rejectsWith(
        sts(session).send(new GetCallerIdentityCommand({})),
        "ExpiredToken",
        403,
        "The security token included in the request is expired",
      );
      await rejectsWith(
        kms(session).send(new DescribeKeyCommand({ KeyId: keys.demo.alias })),
        "ExpiredTokenException",
        400,
      );
    });

    it("expiring an unknown or malformed access key is refused with a reason", async () => {
      assert.deepEqual(await admin("POST", "sessions/expire", { accessKeyId: "ASIAAAAAAAAAAAAAAAAA" }), {
        status: 404,
        json: { error: "no session was issued for access key ASIAAAAAAAAAAAAAAAAA" },
      });
      assert.deepEqual(await admin("POST", "sessions/expire", { accessKeyId: users.demo.accessKeyId }), {
        status: 400,
        json: {
          error: `accessKeyId must be a temporary access key id (ASIA…), got "${users.demo.accessKeyId}"`,
        },
      });
    });
  });

  describe("presigned GetCallerIdentity (GET)", () => {
    async function presignedRequest(): Promise<{ target: string; headers: Record<string, string> }> {
      const { host, port } = new URL(url);
      const signer = new SignatureV4({
        credentials: users.demo,
        region,
        service: "sts",
        sha256: Hash.bind(null, "sha256"),
      });
      const request = new HttpRequest({
        method: "GET",
        protocol: "http:",
        hostname: "127.0.0.1",
        port: Number(port),
        path: "/",
        query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
        headers: { host, "x-iam-auth-server-id": "app.example.test" },
      });
      const signed = await signer.presign(request, { expiresIn: 60 });
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(signed.query ?? {}))
        if (typeof value === "string") query.set(name, value);
      return {
        target: `${url}/?${query.toString()}`,
        headers: { "x-iam-auth-server-id": "app.example.test" },
      };
    }

    it("returns JSON when Accept: application/json", async () => {
      const { target, headers } = await presignedRequest();
      const response = await fetch(target, { headers: { ...headers, accept: "application/json" } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/json");
      const json = (await response.json()) as {
        GetCallerIdentityResponse: { ResponseMetadata: { RequestId: string } };
      };
      assert.deepEqual(json, {
        GetCallerIdentityResponse: {
          GetCallerIdentityResult: {
            Arn: users.demo.arn,
            UserId: users.demo.userId,
            Account: demoAccount.accountId,
          },
          ResponseMetadata: { RequestId: json.GetCallerIdentityResponse.ResponseMetadata.RequestId },
        },
      });
      assert.match(json.GetCallerIdentityResponse.ResponseMetadata.RequestId, /^[0-9a-f-]{36}$/);
    });

    it("returns XML by default", async () => {
      const { target, headers } = await presignedRequest();
      const response = await fetch(target, { headers });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/xml");
      assert.match(await response.text(), new RegExp(`<Arn>${users.demo.arn}</Arn>`));
    });

    it("fails when the signed extra header is altered", async () => {
      const { target } = await presignedRequest();
      const response = await fetch(target, {
        headers: { "x-iam-auth-server-id": "evil.example.test", accept: "application/json" },
      });
      assert.equal(response.status, 403);
      const json = (await response.json()) as { Error: { Code: string; Type: string } };
      assert.equal(json.Error.Code, "SignatureDoesNotMatch");
      assert.equal(json.Error.Type, "Sender");
    });
  });

  describe("admin hooks", () => {
    it("counts every call that reached an action, accepted or rejected", async () => {
      assert.deepEqual(await admin("POST", "calls/reset"), { status: 200, json: { reset: true } });
      await sts(users.demo).send(new GetCallerIdentityCommand({}));
      await assert.rejects(sts(wrongSecret).send(new GetCallerIdentityCommand({})));
      await kms(users.demo).send(
        new EncryptCommand({ KeyId: keys.demo.alias, Plaintext: Buffer.from("count-me") }),
      );
      await assert.rejects(kms(users.demo).send(new DescribeKeyCommand({ KeyId: "alias/missing" })));
      assert.deepEqual(await admin("GET", "calls"), {
        status: 200,
        json: { "kms:DescribeKey": 1, "kms:Encrypt": 1, "sts:GetCallerIdentity": 2 },
      });
    });

    it("a latency fault delays exactly the number of calls it was given", async () => {
      assert.equal(
        (await admin("POST", "faults", { action: "sts:GetCallerIdentity", latencyMs: 400, count: 1 })).status,
        200,
      );
      const client = sts(users.demo);
      let started = performance.now();
      await client.send(new GetCallerIdentityCommand({}));
      const delayed = performance.now() - started;
      assert.ok(delayed >= 390, `first call took ${delayed} ms`);
      started = performance.now();
      await client.send(new GetCallerIdentityCommand({}));
      const normal = performance.now() - started;
      assert.ok(normal < 390, `second call took ${normal} ms`);
    });

    it("an injected error reaches the SDK as that code and status, then stops", async () => {
      const error = { status: 500, code: "KMSInternalException", message: "injected by test" };
      assert.equal((await admin("POST", "faults", { action: "kms:Encrypt", error, count: 1 })).status, 200);
      const client = kms(users.demo);
      const input = { KeyId: keys.demo.alias, Plaintext: Buffer.from("after-fault") };
      await rejectsWith(
        client.send(new EncryptCommand(input)),
        "KMSInternalException",
        500,
        "injected by test",
      );
      await client.send(new EncryptCommand(input));

      const stsError = { status: 400, code: "Throttling", message: "Rate exceeded" };
      assert.equal((await admin("POST", "faults", { action: "*", error: stsError })).status, 200);
      await rejectsWith(
        sts(users.demo).send(new GetCallerIdentityCommand({})),
        "Throttling",
        400,
        "Rate exceeded",
      );
      assert.deepEqual(await admin("DELETE", "faults"), { status: 200, json: { cleared: true } });
      await sts(users.demo).send(new GetCallerIdentityCommand({}));
    });

    it("rejects bad fault input with every reason", async () => {
      const { status, json } = await admin("POST", "faults", {
        action: "kms:Nope",
        latencyMs: -1,
        error: { status: 200 },
      });
      assert.equal(status, 400);
      assert.equal(
        (json as { error: string }).error,
        'action must be "*" or one of sts:GetCallerIdentity, sts:GetSessionToken, sts:AssumeRole, kms:Encrypt, kms:Decrypt, ' +
          'kms:DescribeKey, got "kms:Nope"; latencyMs must be an integer 0..60000, got -1; ' +
          "error.status must be an integer 400..599, got 200; " +
          "error.code must be an AWS error code like KMSInternalException, got nothing",
      );
      assert.deepEqual(await admin("GET", "nope"), {
        status: 404,
        json: {
          error:
            "unknown admin route /__local-aws/nope; known: calls, calls/reset, faults, sessions/expire, secrets",
        },
      });
      assert.deepEqual(await admin("GET", "faults"), {
        status: 405,
        json: { error: "/__local-aws/faults accepts POST, DELETE, not GET" },
      });
    });

    it("lists issued session secrets and KMS plaintexts", async () => {
      const session = await sessionCredentials(sts(users.demo));
      const plaintext = `listed-plaintext-${randomUUID()}`;
      await kms(users.demo).send(
        new EncryptCommand({ KeyId: keys.demo.alias, Plaintext: Buffer.from(plaintext) }),
      );
      const { status, json } = await admin("GET", "secrets");
      assert.equal(status, 200);
      const { secrets } = json as { secrets: string[] };
      for (const expected of [
        session.secretAccessKey,
        session.sessionToken,
        plaintext,
        users.demo.secretAccessKey,
      ]) {
        assert.ok(secrets.includes(expected ?? ""), "a secret is missing from /secrets");
      }
    });
  });

  describe("HTTP edges", () => {
    it("answers an unknown route with 404 and a reason", async () => {
      const response = await fetch(`${url}/elsewhere`);
      assert.equal(response.status, 404);
      assert.match(
        ((await response.json()) as { error: string }).error,
        /^unknown route GET \/elsewhere: local-aws serves STS/,
      );
    });

    it("refuses a body over 1 MiB with 413", async () => {
      const response = await fetch(`${url}/`, { method: "POST", body: Buffer.alloc(1024 * 1024 + 1, 97) });
      assert.equal(response.status, 413);
      assert.deepEqual(await response.json(), { error: "request body exceeds 1048576 bytes" });
    });

    it("answers an unsigned STS call with MissingAuthenticationToken", async () => {
      const response = await fetch(`${url}/?Action=GetCallerIdentity&Version=2011-06-15`);
      assert.equal(response.status, 403);
      assert.match(await response.text(), /<Code>MissingAuthenticationToken<\/Code>/);
    });
  });

  it("exits 0 on SIGTERM and never logged a secret", async () => {
    const { secrets } = (await admin("GET", "secrets")).json as { secrets: string[] };
    assert.ok(secrets.length > 10, `expected many secrets, got ${secrets.length}`);
    stopped = true;
    await service.stop();
    assert.equal(service.process.exitCode, 0);
    const recorded = JSON.parse(readFileSync(secretsFile, "utf8")) as { secrets: string[] };
    assert.deepEqual(recorded.secrets, secrets, "--secrets-file holds what /secrets listed");
    const logged = `${service.output()}\n${readFileSync(service.logFile, "utf8")}`;
    assert.match(
      logged,
      /aws-call action=kms:Decrypt principal=arn:aws:iam::111122223333:user\/example-server key=\S+ outcome=ok/,
    );
    for (const secret of secrets)
      assert.ok(!logged.includes(secret), "a secret appears in the local-aws log");
  });
});

describe("local-aws --config", () => {
  const dir = mkdtempSync(join(tmpdir(), "local-aws-e2e-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the accounts of the given file", async () => {
    const path = join(dir, "config.json");
    const user = { accessKeyId: "AKIALOCALCUSTOM00001", secretAccessKey: "custom-config-secret-000000001" };
    writeFileSync(
      path,
      JSON.stringify({
        accounts: [
          {
            id: "999988887777",
            users: [{ name: "custom", userId: "AIDALOCALCUSTOM00001", accessKeys: [user] }],
          },
        ],
      }),
    );
    const secretsFile = join(testLogsDir, "local-aws", "custom-aws-secrets.json");
    const service = await startService({
      script: "local-aws/main.js",
      args: ["--config", path, "--secrets-file", secretsFile],
      logName: "local-aws/custom.log",
    });
    const client = new STSClient({ endpoint: service.url, region, credentials: user, maxAttempts: 1 });
    try {
      const { Arn } = await client.send(new GetCallerIdentityCommand({}));
      assert.equal(Arn, "arn:aws:iam::999988887777:user/custom");
      const recorded = JSON.parse(readFileSync(secretsFile, "utf8")) as { secrets: string[] };
      assert.deepEqual(recorded.secrets, [user.secretAccessKey]);
    } finally {
      client.destroy();
      await service.stop();
    }
  });

  it("refuses to start on an invalid file, naming every bad field", async () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ accounts: [{ id: "1", users: [{ name: "x" }] }] }));
    await assert.rejects(
      startService({
        script: "local-aws/main.js",
        args: ["--config", path],
        logName: "local-aws/bad-config.log",
      }),
      (error: Error) => {
        assert.match(error.message, /exited \(2\) before listening/);
        assert.match(error.message, /accounts\[0\]\.id: must be a string matching/);
        assert.match(error.message, /accounts\[0\]\.users\[0\]\.userId: must be a string matching/);
        return true;
      },
    );
  });
});
