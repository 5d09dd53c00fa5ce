import { formatStsProof } from "../../protocol/index.js";
import type { AwsSession } from "./aws-session.js";
import { ProxyError } from "../common/errors.js";
import type { LoginResult } from "./kms-login.js";
import type { CallerIdentity } from "./types.js";
import { presignCallerIdentity } from "./sts-presign.js";

/** What the STS method signs: the challenge's nonce and server-id (already checked against the app's address). */
export interface StsChallenge {
  readonly nonce: string;
  readonly serverId: string;
}

/**
 * Answers a challenge with the STS method: presigns sts:GetCallerIdentity bound to the app's
 * server-id and the challenge's nonce, with whatever credentials the person has (IAM user,
 * role, SSO, credential_process), and returns `sts1.<nonce>.<base64url URL>`. No AWS call: the
 * app sends the request itself. `identity` is filled in only when already known (e.g. from the
 * start-up check), for the log line. Credential failures become "denied"; anything else is thrown.
 *
 * @example await loginWithSts({ nonce, serverId: "app:3000" }, session) // { outcome: "token", token: "sts1.…", identity }
 */
export async function loginWithSts(challenge: StsChallenge, session: AwsSession): Promise<LoginResult> {
  let identity: CallerIdentity | undefined;
  try {
    const credentials = await session.credentials();
    identity = session.knownIdentity(credentials);
    const { endpoint, region } = await session.stsProofTarget();
    const presignedUrl = await presignCallerIdentity({
      credentials,
      endpoint,
      region,
      serverId: challenge.serverId,
      nonce: challenge.nonce,
      signingDate: new Date(session.now()),
    });
    const token = formatStsProof({ nonce: challenge.nonce, presignedUrl });
    const { source } = credentials;
    return { outcome: "token", token, identity, ...(source === undefined ? {} : { source }) };
  } catch (error) {
    if (error instanceof ProxyError) return { outcome: "denied", error, identity };
    throw error;
  }
}
