import { calculateJwkThumbprint, exportJWK, generateKeyPair, importPKCS8, SignJWT, type JWK } from "jose";
import type { IamIdentity } from "../server-middleware/index.js";

/*
 * The signed identity assertion: a short-lived JWT (ES256) the gateway adds to every request it
 * passes to the app, so the app can tell an identity the gateway proved from headers a client
 * that reached the app directly made up. The public key is served as a JWKS.
 */

/** The longest an assertion lives: an app may cache nothing about it beyond a request or two. */
export const MAX_ASSERTION_TTL_SECONDS = 60;

export interface AssertionSettings {
  /** `iss`: who made it, e.g. the gateway's public URL. */
  readonly issuer: string;
  /** `aud`: the app it is for, e.g. the app's URL. */
  readonly audience: string;
  /** Lifetime in seconds, 1..60. */
  readonly ttlSeconds: number;
  /** An EC P-256 private key in PKCS #8 PEM, shared by every instance of a gateway; default a new key at each start. */
  readonly privateKeyPem?: string | undefined;
  readonly clock: () => Date;
}

export interface AssertionSigner {
  /** The JWT for `identity`; reused while more than half its lifetime is left. */
  sign(identity: IamIdentity): Promise<string>;
  /** The JWKS document with the public key (`/.well-known/iam-auth/jwks.json`). */
  readonly jwks: { readonly keys: readonly JWK[] };
}

/**
 * Creates the signer. With no `privateKeyPem` each start makes a new key: apps that verify fetch
 * the JWKS by `kid`, so a restart is seen as a key they have not cached yet.
 */
export async function createAssertionSigner(settings: AssertionSettings): Promise<AssertionSigner> {
  const privateKey =
    settings.privateKeyPem === undefined
      ? (await generateKeyPair("ES256", { extractable: true })).privateKey
      : await importPKCS8(settings.privateKeyPem, "ES256", { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  // The public half: everything but the private scalar.
  const publicJwk: JWK = { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y };
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = Object.freeze({
    keys: Object.freeze([Object.freeze({ ...publicJwk, kid, alg: "ES256", use: "sig" })]),
  });

  // Identities come from the middleware's session cache as one frozen object per session, so a
  // WeakMap keyed by them reuses a token for every request of a session and forgets it with it.
  const issued = new WeakMap<IamIdentity, { readonly token: string; readonly expiresAt: number }>();
  return {
    jwks,
    async sign(identity) {
      const now = settings.clock().getTime();
      const cached = issued.get(identity);
      if (cached !== undefined && cached.expiresAt - now > (settings.ttlSeconds * 1000) / 2)
        return cached.token;
      const issuedAt = Math.floor(now / 1000);
      const expiresAt = issuedAt + settings.ttlSeconds;
      const token = await new SignJWT({ account: identity.account, user_id: identity.userId })
        .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(identity.arn)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(privateKey);
      issued.set(identity, { token, expiresAt: expiresAt * 1000 });
      return token;
    },
  };
}
