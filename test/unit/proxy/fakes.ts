import { once } from "node:events";
import type { Server } from "node:net";
import type { AddressInfo } from "node:net";
import { encodeEncryptionContext, formatLogLine, type SessionCredentials } from "../../../protocol/index.js";
import type {
  AwsCredentials,
  CallerIdentity,
  EncryptInput,
  GetSessionTokenInput,
  LoginDependencies,
  MfaSource,
} from "../../../proxy/index.js";
import type { LogFields, ProxyLogger } from "../../../proxy/index.js";

/** Fake values only: nothing here is accepted by AWS. */
export const REALM = "111122223333";
export const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
export const SALT = "test-salt-0001";
export const DEMO_IDENTITY: CallerIdentity = {
  account: REALM,
  arn: "arn:aws:iam::111122223333:user/demo",
  userId: "AIDATESTDEMOUSER0001",
};
export const SESSION_CREDENTIALS: SessionCredentials = {
  accessKeyId: "ASIATESTSESSION00001",
  secretAccessKey: "test-session-secret-NOT-REAL-0001",
  sessionToken: "test-session-token-NOT-REAL-0001",
  expiration: new Date("2030-01-02T03:04:05.000Z"),
};
/** Long-term credentials of the demo user (fake). */
export const USER_CREDENTIALS: AwsCredentials = {
  accessKeyId: "AKIATESTDEMOUSER0001",
  secretAccessKey: "test-user-secret-NOT-REAL-0001",
};
/** Credentials of an assumed-role session (fake): they have a session token. */
export const ROLE_CREDENTIALS: AwsCredentials = {
  accessKeyId: "ASIATESTROLESESSION1",
  secretAccessKey: "test-role-secret-NOT-REAL-0001",
  sessionToken: "test-role-session-token-NOT-REAL-0001",
  expiration: new Date("2030-01-02T03:04:05.000Z"),
};
/** Where the fake presigns STS proofs. */
export const FAKE_STS_ENDPOINT = "http://127.0.0.1:4566";

/** The fake KMS "encrypts" by prefixing this, so tests can read the plaintext back out of a token. */
export const FAKE_CIPHERTEXT_PREFIX = "fake-kms-ciphertext:";

/** A nonce as the middleware issues them (any 16 to 256 of A-Z a-z 0-9 _ -). */
export const NONCE = "n0nce-0000000000000000000000000001";

/** The response head of an STS-offering app at `serverId` (`methods` as given, KMS headers only if it offers kms). */
export function createStsChallengeHead(
  serverId: string,
  methods = "sts",
  overrides: Readonly<Record<string, string>> = {},
): { statusCode: number; headersDistinct: Record<string, string[] | undefined> } {
  const params = { methods, "server-id": serverId, nonce: NONCE, ...overrides };
  const challenge = [`IAM realm="${REALM}"`, ...Object.entries(params).map(([k, v]) => `${k}="${v}"`)].join(
    ", ",
  );
  const kms = methods.split(" ").includes("kms") ? createChallengeHead().headersDistinct : {};
  return { statusCode: 401, headersDistinct: { ...kms, "www-authenticate": [challenge] } };
}

/** The response head an app sends with an IAM challenge, as Flask's example-server.py does. */
export function createChallengeHead(overrides: Readonly<Record<string, string[] | undefined>> = {}): {
  statusCode: number;
  headersDistinct: Record<string, string[] | undefined>;
} {
  return {
    statusCode: 401,
    headersDistinct: {
      "www-authenticate": [`IAM realm="${REALM}"`],
      "iam-auth-kms-key-id": [KEY_ARN],
      // json.dumps writes a space after the colon: `{"salt": "…"}`.
      "iam-auth-kms-encryption-context": [Buffer.from(`{"salt": "${SALT}"}`, "utf8").toString("base64")],
      ...overrides,
    },
  };
}

/** Every call the fake AWS saw. */
export interface FakeAwsCalls {
  resolveCredentials: number;
  getCallerIdentity: number;
  getSessionToken: GetSessionTokenInput[];
  encrypt: { keyId: string; plaintext: string; encryptionContext: Record<string, string> }[];
}

export interface FakeAwsOptions {
  readonly identity?: CallerIdentity;
  /** What resolveCredentials returns. Default USER_CREDENTIALS. */
  readonly credentials?: AwsCredentials;
  readonly credentialsError?: Error;
  readonly getCallerIdentityError?: Error;
  readonly getSessionTokenError?: Error;
  readonly encryptError?: Error;
  readonly sessionTokenMfa?: MfaSource;
  /** Session credentials GetSessionToken returns. Default SESSION_CREDENTIALS. */
  readonly sessionCredentials?: SessionCredentials;
}

/** STS and KMS fakes that record their calls; each may be told to fail with a given error. */
export function createFakeAws(options: FakeAwsOptions = {}): {
  deps: LoginDependencies;
  calls: FakeAwsCalls;
} {
  const calls: FakeAwsCalls = {
    resolveCredentials: 0,
    getCallerIdentity: 0,
    getSessionToken: [],
    encrypt: [],
  };
  const deps: LoginDependencies = {
    resolveCredentials: () => {
      calls.resolveCredentials++;
      if (options.credentialsError !== undefined) return Promise.reject(options.credentialsError);
      return Promise.resolve(options.credentials ?? USER_CREDENTIALS);
    },
    stsProofTarget: () => Promise.resolve({ endpoint: FAKE_STS_ENDPOINT, region: "us-east-1" }),
    sts: {
      getCallerIdentity: () => {
        calls.getCallerIdentity++;
        if (options.getCallerIdentityError !== undefined)
          return Promise.reject(options.getCallerIdentityError);
        return Promise.resolve(options.identity ?? DEMO_IDENTITY);
      },
      getSessionToken: (input) => {
        calls.getSessionToken.push(input);
        if (options.getSessionTokenError !== undefined) return Promise.reject(options.getSessionTokenError);
        return Promise.resolve(options.sessionCredentials ?? SESSION_CREDENTIALS);
      },
    },
    kms: {
      encrypt: (input: EncryptInput) => {
        calls.encrypt.push({
          keyId: input.keyId,
          plaintext: Buffer.from(input.plaintext).toString("utf8"),
          encryptionContext: { ...input.encryptionContext },
        });
        if (options.encryptError !== undefined) return Promise.reject(options.encryptError);
        return Promise.resolve(
          Buffer.concat([Buffer.from(FAKE_CIPHERTEXT_PREFIX), Buffer.from(input.plaintext)]),
        );
      },
    },
    ...(options.sessionTokenMfa === undefined ? {} : { sessionTokenMfa: options.sessionTokenMfa }),
  };
  return { deps, calls };
}

/** An error shaped like an AWS SDK v3 service exception (AWS answered with an error). */
export function createServiceError(name: string, message: string, httpStatusCode = 403): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: "client",
    $metadata: { httpStatusCode, attempts: 1, totalRetryDelay: 0 },
  });
}

/** An error shaped like the SDK's when AWS could not be reached (the retry layer adds $metadata without a status). */
export function createNetworkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), {
    code,
    $metadata: { attempts: 2, totalRetryDelay: 50 },
  });
}

/** An error shaped like the SDK's CredentialsProviderError. */
export function createCredentialsProviderError(message: string): Error {
  return Object.assign(new Error(message), { name: "CredentialsProviderError", tryNextLink: false });
}

/** A logger that keeps every line (info and warn) for assertions. */
export function createMemoryLogger(): ProxyLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  // The production format without its timestamp.
  const record = (event: string, fields: LogFields): void => {
    lines.push(formatLogLine(event, fields, new Date(0)).replace(/^\S+ /, ""));
  };
  return { lines, info: record, warn: record };
}

/** The same header the app sends for `context`. */
export function encodeContextHeader(context: Record<string, string>): string {
  return encodeEncryptionContext(context);
}

/** Listens on 127.0.0.1 port 0; resolves with the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}
