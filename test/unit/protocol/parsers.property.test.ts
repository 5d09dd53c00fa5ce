import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  buildAuthTarget,
  canonicalPrincipalArn,
  checkAuthPath,
  checkEncryptionContext,
  checkPresignedCallerIdentity,
  checkReturnUrl,
  decodeEncryptionContext,
  decodeStrictBase64,
  encodeBase64,
  encodeEncryptionContext,
  findIamChallenge,
  formatIamChallenge,
  formatKmsToken,
  formatLogLine,
  formatProofHeaderValue,
  formatStsProof,
  isAwsStsHost,
  isIamProofValue,
  MAX_TOKEN_LENGTH,
  normalizeAuthority,
  parseArn,
  parseKmsToken,
  parseSessionCredentials,
  parseStsProof,
  ProtocolError,
  readAuthQuery,
  readProofHeader,
  serializeSessionCredentials,
} from "../../../protocol/index.js";
import { hostileString, parsesOrRefuses, propertyRuns } from "../../helpers/hostile-properties.js";

/*
 * Property-based tests of every parser in protocol/: each round trip (format, then parse, gives the
 * value back) and, for arbitrary input, "a valid value or a ProtocolError with a stable code and a
 * one-line message", never another exception. A failure prints fast-check's seed and path; rerun
 * with FC_SEED=… FC_PATH=… to replay it (see test/helpers/hostile-properties.ts).
 */

const accountId = fc.stringMatching(/^\d{12}$/);
const tokenName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
/** A path segment of unreserved characters that is not "." or "..". */
const plainSegment = fc.stringMatching(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,11}$/);
const plainPath = fc.array(plainSegment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join("/")}`);
const nonce = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
/** Well-formed Unicode text (no lone surrogates, which UTF-8 cannot carry). */
const unicodeText = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: "grapheme", maxLength });

describe("protocol parsers (property-based)", () => {
  describe("challenge: findIamChallenge / formatIamChallenge", () => {
    it("gives back the realm, params and auth-path it formatted", () => {
      fc.assert(
        fc.property(
          accountId,
          fc.uniqueArray(fc.tuple(tokenName, fc.string({ maxLength: 40 })), {
            selector: ([name]) => name,
            maxLength: 5,
          }),
          fc.option(plainPath, { nil: undefined }),
          (realm, entries, authPath) => {
            const params = new Map(entries.filter(([name]) => name !== "realm" && name !== "auth-path"));
            const found = findIamChallenge([formatIamChallenge({ realm, params, authPath })]);
            assert.equal(found.kind, "iam");
            if (found.kind !== "iam") return;
            assert.equal(found.challenge.realm, realm);
            assert.equal(found.challenge.authPath, authPath);
            assert.deepEqual([...found.challenge.params], [...params]);
          },
        ),
        propertyRuns(),
      );
    });

    it("reads any field values as none, iam or invalid with a challenge code, never throwing", () => {
      const field = fc.oneof(
        hostileString(),
        hostileString().map((rest) => `IAM ${rest}`),
        hostileString().map((rest) => `IAM realm="111122223333", ${rest}`),
        hostileString().map((rest) => `Basic realm="x", IAM realm=${rest}`),
      );
      fc.assert(
        fc.property(fc.array(field, { maxLength: 3 }), (fields) => {
          const found = findIamChallenge(fields);
          if (found.kind === "invalid") {
            assert.ok(found.error instanceof ProtocolError);
            assert.ok(
              [
                "CHALLENGE_MALFORMED",
                "CHALLENGE_REALM_MISSING",
                "CHALLENGE_REALM_INVALID",
                "AUTH_PATH_UNSAFE",
              ].includes(found.error.code),
              found.error.code,
            );
            assert.doesNotMatch(found.error.message, /\n/);
          } else if (found.kind === "iam") {
            assert.match(found.challenge.realm, /^\d{12}$/);
            if (found.challenge.authPath !== undefined) checkAuthPath(found.challenge.authPath);
          }
        }),
        propertyRuns(500),
      );
    });
  });

  describe("auth-path: checkAuthPath", () => {
    it("accepts plain paths unchanged", () => {
      fc.assert(
        fc.property(plainPath, (path) => assert.equal(checkAuthPath(path), path)),
        propertyRuns(),
      );
    });

    it("returns any accepted value unchanged, one that stays on the origin, else AUTH_PATH_UNSAFE", () => {
      fc.assert(
        fc.property(
          fc.oneof(
            hostileString(),
            hostileString().map((s) => `/${s}`),
          ),
          (value) => {
            parsesOrRefuses(() => checkAuthPath(value), ProtocolError, ["AUTH_PATH_UNSAFE"]);
            let accepted: string;
            try {
              accepted = checkAuthPath(value);
            } catch {
              return;
            }
            assert.equal(accepted, value);
            const resolved = new URL(accepted, "http://app.invalid/");
            assert.equal(resolved.origin, "http://app.invalid");
            // What the proxy sends is what the app routes: no dot segment, no query, no second host.
            assert.equal(resolved.pathname, accepted);
          },
        ),
        propertyRuns(500),
      );
    });
  });

  describe("auth-query: readAuthQuery / buildAuthTarget", () => {
    it("reads back the token and return_url buildAuthTarget wrote", () => {
      const returnUrl = fc
        .tuple(plainPath, fc.option(hostileString(20), { nil: undefined }))
        .map(([path, query]) => (query === undefined ? path : `${path}?q=${encodeURIComponent(query)}`));
      const token = fc.string({ unit: "binary", minLength: 1, maxLength: 200 });
      fc.assert(
        fc.property(plainPath, returnUrl, token, (authPath, back, value) => {
          const target = buildAuthTarget(authPath, back, value);
          const search = target.slice(target.indexOf("?"));
          const read = readAuthQuery(search);
          // URLSearchParams reads a lone surrogate as U+FFFD, as every URL parser does.
          assert.equal(read.token, Buffer.from(value, "utf8").toString("utf8"));
          assert.equal(read.returnUrl, back);
        }),
        propertyRuns(),
      );
    });

    it("reads any query as a token or a token/return_url code", () => {
      const pair = fc.tuple(
        fc.constantFrom("token", "return_url", "TOKEN", "token ", "x"),
        fc.oneof(hostileString(), fc.constant("a".repeat(MAX_TOKEN_LENGTH + 1))),
      );
      fc.assert(
        fc.property(fc.array(pair, { maxLength: 4 }), hostileString(), (pairs, raw) => {
          const search = `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}${raw}`;
          parsesOrRefuses(() => readAuthQuery(search), ProtocolError, [
            "TOKEN_MISSING",
            "TOKEN_REPEATED",
            "TOKEN_TOO_LARGE",
            "RETURN_URL_REPEATED",
            "RETURN_URL_UNSAFE",
          ]);
        }),
        propertyRuns(500),
      );
    });
  });

  describe("proof-header: readProofHeader / formatProofHeaderValue", () => {
    const token = fc.stringMatching(/^[\x21-\x7e]{1,300}$/);
    it("reads back the token formatProofHeaderValue wrote, whatever case the scheme is in", () => {
      fc.assert(
        fc.property(
          token,
          fc.constantFrom("IAM", "iam", "Iam"),
          fc.integer({ min: 1, max: 3 }),
          (value, scheme, spaces) => {
            const written = formatProofHeaderValue(value).replace(/^IAM /, `${scheme}${" ".repeat(spaces)}`);
            assert.equal(readProofHeader([written], "Authorization"), value);
          },
        ),
        propertyRuns(),
      );
    });

    it("reads any header values as no proof, a token without spaces, or a proof-header code", () => {
      const value = fc.oneof(
        hostileString(),
        hostileString().map((rest) => `IAM ${rest}`),
        fc.constant(`IAM ${"a".repeat(MAX_TOKEN_LENGTH + 1)}`),
      );
      fc.assert(
        fc.property(fc.array(value, { minLength: 1, maxLength: 3 }), (values) => {
          let read: string | undefined;
          parsesOrRefuses(() => (read = readProofHeader(values, "Authorization")), ProtocolError, [
            "PROOF_HEADER_REPEATED",
            "PROOF_HEADER_MALFORMED",
            "TOKEN_MISSING",
            "TOKEN_TOO_LARGE",
          ]);
          if (read !== undefined) {
            assert.ok(!/\s/.test(read) && read.length > 0 && read.length <= MAX_TOKEN_LENGTH, read);
            assert.equal(values.length, 1);
          }
          if (!values.some(isIamProofValue)) assert.equal(read, undefined);
        }),
        propertyRuns(500),
      );
    });
  });

  describe("base64: decodeStrictBase64 / encodeBase64", () => {
    it("decodes what it encoded", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          assert.deepEqual(decodeStrictBase64(encodeBase64(bytes)), Buffer.from(bytes));
        }),
        propertyRuns(),
      );
    });

    it("accepts only the one canonical spelling of any bytes", () => {
      fc.assert(
        fc.property(fc.oneof(hostileString(), fc.stringMatching(/^[A-Za-z0-9+/=_-]{0,40}$/)), (value) => {
          const bytes = decodeStrictBase64(value);
          if (bytes !== undefined) assert.equal(bytes.toString("base64"), value);
        }),
        propertyRuns(500),
      );
    });
  });

  describe("encryption-context: decodeEncryptionContext / checkEncryptionContext", () => {
    const context = fc.dictionary(
      fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "toString")),
      unicodeText(20),
      { maxKeys: 5 },
    );

    it("decodes what it encoded, keys such as __proto__ included", () => {
      fc.assert(
        fc.property(context, (value) => {
          const decoded = decodeEncryptionContext(encodeEncryptionContext(value));
          assert.deepEqual(Object.entries(decoded), Object.entries(value));
        }),
        propertyRuns(),
      );
    });

    it('keeps a "__proto__" key (regression: the copy assigned keys, which dropped it)', () => {
      const decoded = decodeEncryptionContext(
        encodeEncryptionContext(JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>),
      );
      assert.deepEqual(Object.entries(decoded), [
        ["__proto__", "x"],
        ["a", "b"],
      ]);
    });

    it("reads any header value as a context or ENCRYPTION_CONTEXT_INVALID", () => {
      const headerValue = fc.oneof(
        hostileString(),
        fc.jsonValue().map((json) => Buffer.from(JSON.stringify(json) ?? "", "utf8").toString("base64")),
        hostileString().map((text) => Buffer.from(text, "utf8").toString("base64")),
      );
      fc.assert(
        fc.property(headerValue, (value) =>
          parsesOrRefuses(() => decodeEncryptionContext(value), ProtocolError, [
            "ENCRYPTION_CONTEXT_INVALID",
          ]),
        ),
        propertyRuns(500),
      );
    });

    it("checks any value as a frozen object of strings or ENCRYPTION_CONTEXT_INVALID", () => {
      fc.assert(
        fc.property(fc.anything(), (value) => {
          parsesOrRefuses(() => checkEncryptionContext(value), ProtocolError, ["ENCRYPTION_CONTEXT_INVALID"]);
          try {
            const checked = checkEncryptionContext(value);
            assert.ok(Object.isFrozen(checked));
            for (const entry of Object.values(checked)) assert.equal(typeof entry, "string");
          } catch (error) {
            if (!(error instanceof ProtocolError)) throw error;
          }
        }),
        propertyRuns(),
      );
    });
  });

  describe("kms-token: parseKmsToken / formatKmsToken", () => {
    it("gives back the ciphertext and binding it formatted", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), (bytes, bound) => {
          const ciphertextBase64 = encodeBase64(bytes);
          assert.deepEqual(parseKmsToken(formatKmsToken(ciphertextBase64, bound)), {
            bound,
            ciphertextBase64,
          });
        }),
        propertyRuns(),
      );
    });

    it("splits any string so that formatting the parts gives it back", () => {
      fc.assert(
        fc.property(hostileString(), (token) => {
          const parsed = parseKmsToken(token);
          assert.equal(formatKmsToken(parsed.ciphertextBase64, parsed.bound), token);
        }),
        propertyRuns(),
      );
    });
  });

  describe("sts-proof: parseStsProof / checkPresignedCallerIdentity", () => {
    it("gives back the nonce and presigned URL it formatted", () => {
      fc.assert(
        fc.property(nonce, fc.string({ unit: "grapheme", minLength: 1, maxLength: 300 }), (n, url) => {
          assert.deepEqual(parseStsProof(formatStsProof({ nonce: n, presignedUrl: url })), {
            nonce: n,
            presignedUrl: url,
          });
        }),
        propertyRuns(),
      );
    });

    it("reads any token as a proof or STS_PROOF_MALFORMED", () => {
      const token = fc.oneof(
        hostileString(),
        fc.tuple(hostileString(30), hostileString()).map(([n, rest]) => `sts1.${n}.${rest}`),
        fc
          .tuple(nonce, fc.uint8Array({ maxLength: 60 }))
          .map(([n, bytes]) => `sts1.${n}.${Buffer.from(bytes).toString("base64url")}`),
      );
      fc.assert(
        fc.property(token, (value) =>
          parsesOrRefuses(() => parseStsProof(value), ProtocolError, ["STS_PROOF_MALFORMED"]),
        ),
        propertyRuns(500),
      );
    });

    const rules = {
      now: new Date("2026-01-02T03:04:05Z"),
      maxAgeSeconds: 300,
      maxFutureSkewSeconds: 60,
      extraStsHosts: [],
      testOrigins: [],
    };
    const goodQuery =
      "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260102%2Fus-east-1%2Fsts%2Faws4_request" +
      "&X-Amz-Date=20260102T030400Z&X-Amz-Expires=60" +
      "&X-Amz-SignedHeaders=host%3Bx-iam-auth-nonce%3Bx-iam-auth-server-id&X-Amz-Signature=abc";

    it("accepts the well-formed call it is shown (the baseline the next property mutates)", () => {
      const checked = checkPresignedCallerIdentity(
        `https://sts.us-east-1.amazonaws.com/?${goodQuery}`,
        rules,
      );
      assert.equal(checked.region, "us-east-1");
    });

    it("never accepts a host that is not an AWS STS endpoint, whatever the URL around it", () => {
      const url = fc.oneof(
        hostileString().map((host) => `https://${host}/?${goodQuery}`),
        fc
          .tuple(
            fc.constantFrom("https://", "http://", "https://user@", ""),
            hostileString(30),
            hostileString(30),
          )
          .map(([scheme, host, tail]) => `${scheme}${host}sts.us-east-1.amazonaws.com${tail}/?${goodQuery}`),
        hostileString(200),
        hostileString().map((tail) => `https://sts.us-east-1.amazonaws.com/?${goodQuery}${tail}`),
      );
      fc.assert(
        fc.property(url, (value) => {
          parsesOrRefuses(() => checkPresignedCallerIdentity(value, rules), ProtocolError, [
            "STS_PROOF_REJECTED",
          ]);
          try {
            const checked = checkPresignedCallerIdentity(value, rules);
            assert.ok(isAwsStsHost(checked.url.hostname), checked.url.hostname);
            assert.equal(checked.url.protocol, "https:");
            assert.equal(checked.url.port, "");
          } catch (error) {
            if (!(error instanceof ProtocolError)) throw error;
          }
        }),
        propertyRuns(500),
      );
    });
  });

  describe("return-url: checkReturnUrl", () => {
    it("accepts plain paths with any percent-encoded query unchanged", () => {
      fc.assert(
        fc.property(plainPath, unicodeText(30), (path, query) => {
          const value = `${path}?q=${encodeURIComponent(query)}`;
          assert.equal(checkReturnUrl(value), value);
        }),
        propertyRuns(),
      );
    });

    it("accepts only values that stay on the origin, decoded or not; refuses the rest with RETURN_URL_UNSAFE", () => {
      const value = fc.oneof(
        hostileString(),
        hostileString().map((s) => `/${s}`),
        fc
          .array(
            fc.constantFrom(
              "/",
              "\\",
              "%2F",
              "%5C",
              "%252F",
              "%09",
              "evil.example",
              ".",
              "..",
              "%2e",
              "@",
              ":",
            ),
            {
              maxLength: 6,
            },
          )
          .map((parts) => parts.join("")),
      );
      fc.assert(
        fc.property(value, (candidate) => {
          parsesOrRefuses(() => checkReturnUrl(candidate), ProtocolError, ["RETURN_URL_UNSAFE"]);
          let accepted: string;
          try {
            accepted = checkReturnUrl(candidate);
          } catch {
            return;
          }
          assert.equal(accepted, candidate);
          const origin = "https://app.invalid";
          assert.equal(new URL(accepted, `${origin}/`).origin, origin);
          // An app that decodes the path before redirecting still stays home.
          const path = accepted.split(/[?#]/)[0] ?? "";
          assert.equal(new URL(decodeURIComponent(path), `${origin}/`).origin, origin);
        }),
        propertyRuns(500),
      );
    });
  });

  describe("arn: parseArn / canonicalPrincipalArn", () => {
    const arnParts = fc.record({
      partition: fc.constantFrom("aws", "aws-cn", "aws-us-gov"),
      service: fc.constantFrom("iam", "sts"),
      region: fc.constantFrom("", "us-east-1"),
      account: accountId,
      resource: fc.stringMatching(/^[A-Za-z0-9+=,.@_:/-]{1,60}$/),
    });

    it("gives back the parts it was built from", () => {
      fc.assert(
        fc.property(arnParts, (parts) => {
          const text = `arn:${parts.partition}:${parts.service}:${parts.region}:${parts.account}:${parts.resource}`;
          assert.deepEqual({ ...parseArn(text) }, { ...parts });
        }),
        propertyRuns(),
      );
    });

    it("reads any string as an ARN or ARN_INVALID, and canonicalises only into a parseable ARN", () => {
      const text = fc.oneof(
        hostileString(),
        hostileString().map((s) => `arn:aws:sts::111122223333:assumed-role/${s}`),
        hostileString().map((s) => `arn:aws:${s}`),
      );
      fc.assert(
        fc.property(text, (value) => {
          parsesOrRefuses(() => parseArn(value), ProtocolError, ["ARN_INVALID"]);
          parsesOrRefuses(() => canonicalPrincipalArn(value), ProtocolError, ["ARN_INVALID"]);
          try {
            const canonical = canonicalPrincipalArn(value);
            assert.equal(parseArn(canonical).account, parseArn(value).account);
          } catch (error) {
            if (!(error instanceof ProtocolError)) throw error;
          }
        }),
        propertyRuns(500),
      );
    });
  });

  describe("authority: normalizeAuthority", () => {
    it("never throws, and normalising twice changes nothing", () => {
      fc.assert(
        fc.property(
          fc.oneof(
            hostileString(40),
            fc.domain(),
            fc.tuple(fc.domain(), fc.nat(70000)).map(([d, p]) => `${d}:${p}`),
          ),
          fc.constantFrom("http:" as const, "https:" as const),
          (authority, scheme) => {
            const once = normalizeAuthority(authority, scheme);
            if (once === undefined) return;
            assert.equal(normalizeAuthority(once, scheme), once);
            assert.doesNotMatch(once, /[/?#@\\\s]/);
          },
        ),
        propertyRuns(500),
      );
    });
  });

  describe("session-credentials: parseSessionCredentials", () => {
    it("gives back the credentials it serialised", () => {
      const text = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 });
      fc.assert(
        fc.property(
          text,
          text,
          text,
          fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }),
          (accessKeyId, secretAccessKey, sessionToken, expiration) => {
            const credentials = { accessKeyId, secretAccessKey, sessionToken, expiration };
            assert.deepEqual(parseSessionCredentials(serializeSessionCredentials(credentials)), credentials);
          },
        ),
        propertyRuns(),
      );
    });

    it("reads any plaintext as credentials or CREDENTIALS_INVALID whose message never repeats it", () => {
      const plaintext = fc.oneof(
        hostileString(),
        fc.jsonValue().map((json) => JSON.stringify(json) ?? ""),
        fc
          .dictionary(
            fc.constantFrom("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Extra"),
            fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          )
          .map((record) => JSON.stringify(record)),
      );
      fc.assert(
        fc.property(plaintext, (value) => {
          parsesOrRefuses(() => parseSessionCredentials(value), ProtocolError, ["CREDENTIALS_INVALID"]);
          try {
            parseSessionCredentials(value);
          } catch (error) {
            if (!(error instanceof ProtocolError)) throw error;
            if (value.length > 40) assert.ok(!error.message.includes(value));
          }
        }),
        propertyRuns(500),
      );
    });
  });

  describe("log-line: formatLogLine", () => {
    it("writes one line whose every field reads back as the value given", () => {
      const fieldName = fc.stringMatching(/^[a-z][a-zA-Z]{0,10}$/);
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.tuple(fieldName, fc.oneof(hostileString(), fc.integer(), fc.boolean())), {
            selector: ([name]) => name,
            maxLength: 5,
          }),
          (entries) => {
            const line = formatLogLine("event", Object.fromEntries(entries), new Date(0));
            assert.doesNotMatch(line, /[\r\n]/);
            const rest = line.slice("1970-01-01T00:00:00.000Z event".length);
            const read: [string, string][] = [];
            const field = / ([a-zA-Z]+)=("(?:[^"\\]|\\.)*"|\S+)/y;
            let consumed = 0;
            let match: RegExpExecArray | null;
            while ((match = field.exec(rest)) !== null) {
              const [whole, name = "", raw = ""] = match;
              consumed += whole.length;
              read.push([name, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw]);
            }
            assert.equal(consumed, rest.length, "the whole line is fields");
            assert.deepEqual(
              read,
              entries.map(([name, value]) => [name, String(value)]),
            );
          },
        ),
        propertyRuns(500),
      );
    });
  });
});
