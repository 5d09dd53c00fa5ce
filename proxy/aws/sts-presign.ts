import { NONCE_HEADER, SERVER_ID_HEADER } from "../../protocol/index.js";
import type { AwsCredentials } from "./credentials.js";

/** What one STS-method proof is presigned from. */
export interface PresignInput {
  readonly credentials: AwsCredentials;
  /** The STS origin the app will send the request to, e.g. `https://sts.eu-west-1.amazonaws.com`. */
  readonly endpoint: string;
  readonly region: string;
  /** The challenge's server-id, exactly as sent: the app re-sends its own, which must match byte for byte. */
  readonly serverId: string;
  readonly nonce: string;
  readonly signingDate: Date;
}

/**
 * How long the presigned request stays valid. The app sends it at once; a short life limits what
 * a captured proof is worth (the nonce already makes it single-use).
 */
export const PROOF_EXPIRES_SECONDS = 60;

const bindingHeaders = new Set([SERVER_ID_HEADER, NONCE_HEADER]);

/**
 * Presigns `GET <endpoint>/?Action=GetCallerIdentity&Version=2011-06-15` for the STS method,
 * signing `host`, `x-iam-auth-nonce` and `x-iam-auth-server-id`. The two binding headers stay
 * headers (they are never hoisted into the query): AWS accepts the request only when whoever
 * sends it sends the same values, so the proof works for this app and this challenge only.
 * Signing is local: no AWS call. The URL contains a signature (and, with temporary credentials,
 * the session token): never log it.
 *
 * @example await presignCallerIdentity({ credentials, endpoint: "https://sts.us-east-1.amazonaws.com", region: "us-east-1", serverId: "app:3000", nonce, signingDate: new Date() })
 * // "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=…"
 */
export async function presignCallerIdentity(input: PresignInput): Promise<string> {
  // Loaded on the first proof, not at start-up (the proxy listens without them).
  const [{ Hash }, { HttpRequest }, { SignatureV4 }] = await Promise.all([
    import("@smithy/hash-node"),
    import("@smithy/protocol-http"),
    import("@smithy/signature-v4"),
  ]);
  const origin = new URL(input.endpoint);
  const signer = new SignatureV4({
    service: "sts",
    region: input.region,
    credentials: input.credentials,
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.presign(
    new HttpRequest({
      method: "GET",
      protocol: origin.protocol,
      hostname: origin.hostname,
      ...(origin.port === "" ? {} : { port: Number(origin.port) }),
      path: "/",
      query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
      headers: {
        // As fetch will send it: with the port when it is not the scheme's default.
        host: origin.host,
        [SERVER_ID_HEADER]: input.serverId,
        [NONCE_HEADER]: input.nonce,
      },
    }),
    {
      expiresIn: PROOF_EXPIRES_SECONDS,
      signingDate: input.signingDate,
      unhoistableHeaders: bindingHeaders,
      signableHeaders: bindingHeaders,
    },
  );
  // Every value is a single string: Action, Version and the X-Amz-* parameters presign added.
  const query = Object.entries(signed.query ?? {})
    .map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(String(value))}`)
    .join("&");
  return `${origin.origin}/?${query}`;
}

/**
 * The regional STS endpoint for `region` (`https://sts.<region>.amazonaws.com`, `.amazonaws.com.cn`
 * in China). Regional, not the global endpoint: a proof signed for one region is valid only there.
 *
 * @example defaultStsEndpoint("eu-west-1") // "https://sts.eu-west-1.amazonaws.com"
 */
export function defaultStsEndpoint(region: string): string {
  return region.startsWith("cn-")
    ? `https://sts.${region}.amazonaws.com.cn`
    : `https://sts.${region}.amazonaws.com`;
}

// SigV4 canonical query encoding (RFC 3986 unreserved characters stay as they are).
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
