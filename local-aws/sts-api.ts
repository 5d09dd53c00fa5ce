import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { AwsApiError } from "./api-error.js";
import { accessDeniedMessage, isTrustedBy } from "./authorization.js";
import { enterCall, MALFORMED_BODY } from "./call-recorder.js";
import type { ApiResponse } from "./http-io.js";
import { authenticate, type Caller } from "./identity.js";
import type { IssuedSession } from "./session-store.js";
import { SigV4Error, type SignedHttpRequest, type SigV4ErrorCode } from "./sigv4-verify.js";
import type { LocalAwsState } from "./state.js";
import {
  renderStsError,
  renderStsResult,
  stsContentType,
  type StsFormat,
  type StsRecord,
} from "./sts-render.js";

/*
 * STS over the awsQuery protocol: parameters arrive form-encoded in a POST body or in the
 * query string (presigned GET); replies are XML, or JSON when the client accepts JSON.
 */

/** The STS actions local AWS implements. */
export const stsActions = ["GetCallerIdentity", "GetSessionToken", "AssumeRole"] as const;
type StsAction = (typeof stsActions)[number];
const apiVersion = "2011-06-15";

/** How verification failures surface in STS: AWS's codes and statuses. */
const authErrors: Record<SigV4ErrorCode, { code: string; status: number }> = {
  MissingAuthentication: { code: "MissingAuthenticationToken", status: 403 },
  IncompleteSignature: { code: "IncompleteSignature", status: 400 },
  UnknownAccessKey: { code: "InvalidClientTokenId", status: 403 },
  InvalidSessionToken: { code: "InvalidClientTokenId", status: 403 },
  SignatureMismatch: { code: "SignatureDoesNotMatch", status: 403 },
  SignatureExpired: { code: "SignatureDoesNotMatch", status: 403 },
  ExpiredSessionToken: { code: "ExpiredToken", status: 403 },
};

/**
 * Handles one STS call. `params` are the merged query and form parameters (Action, Version, …).
 *
 * @example await handleSts(state, request, new URLSearchParams("Action=GetCallerIdentity"))
 */
export async function handleSts(
  state: LocalAwsState,
  request: SignedHttpRequest,
  params: URLSearchParams,
): Promise<ApiResponse> {
  const format: StsFormat = /\bapplication\/json\b/i.test(request.headers.accept ?? "") ? "json" : "xml";
  const requestId = randomUUID();
  const name = params.get("Action") ?? "";
  const action = (stsActions as readonly string[]).includes(name) ? (name as StsAction) : undefined;
  const logAction = `sts:${action ?? "unknown"}`;
  let caller: Caller | undefined;
  const reply = (status: number, body: string, outcome: string): ApiResponse => ({
    status,
    contentType: stsContentType(format),
    body,
    requestId,
    log: { action: logAction, principal: caller?.arn ?? "-", outcome },
  });
  try {
    if (action !== undefined) {
      const injected = await enterCall(state.calls, `sts:${action}`);
      if (injected === "malformed") return reply(200, MALFORMED_BODY, "malformed");
      if (injected !== undefined) throw new AwsApiError(injected.code, injected.status, injected.message);
    }
    caller = (await authenticate(state, request, "sts")).caller;
    const version = params.get("Version");
    if (action === undefined || (version !== null && version !== apiVersion)) {
      const shown = /^[\w.-]{1,64}$/.test(name) ? name : "(invalid)";
      throw new AwsApiError(
        "InvalidAction",
        400,
        `Could not find operation ${shown} for version ${version ?? apiVersion}`,
      );
    }
    const result = runAction(state, action, caller, params);
    return reply(200, renderStsResult(format, action, result, requestId), "ok");
  } catch (error) {
    const failure = toStsError(error);
    return reply(
      failure.status,
      renderStsError(format, failure.code, failure.message, requestId),
      failure.code,
    );
  }
}

function toStsError(error: unknown): AwsApiError {
  if (error instanceof AwsApiError) return error;
  if (error instanceof SigV4Error) {
    const { code, status } = authErrors[error.code];
    return new AwsApiError(code, status, error.message);
  }
  throw error;
}

function runAction(
  state: LocalAwsState,
  action: StsAction,
  caller: Caller,
  params: URLSearchParams,
): StsRecord {
  switch (action) {
    case "GetCallerIdentity":
      return { Arn: caller.arn, UserId: caller.userId, Account: caller.accountId };
    case "GetSessionToken":
      return getSessionToken(state, caller, params);
    case "AssumeRole":
      return assumeRole(state, caller, params);
  }
}

function getSessionToken(state: LocalAwsState, caller: Caller, params: URLSearchParams): StsRecord {
  if (caller.session !== undefined || caller.user === undefined) {
    throw new AwsApiError("AccessDenied", 403, "Cannot call GetSessionToken with session credentials");
  }
  const durationSeconds = readDuration(params, 900, 129600, 43200);
  const mfaAuthenticated = checkMfa(caller, params, "sts:GetSessionToken");
  const session = state.sessions.issue(
    { kind: "user", user: caller.user },
    { now: state.clock(), durationSeconds, mfaAuthenticated },
  );
  recordSecrets(state, session);
  return { Credentials: credentials(session) };
}

function assumeRole(state: LocalAwsState, caller: Caller, params: URLSearchParams): StsRecord {
  const roleArn = params.get("RoleArn");
  if (roleArn === null || !/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(roleArn)) {
    throw validationError(
      "roleArn",
      roleArn,
      "Member must be a role ARN: arn:aws:iam::<account>:role/<name>",
    );
  }
  const sessionName = params.get("RoleSessionName");
  if (sessionName === null || !/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw validationError(
      "roleSessionName",
      sessionName,
      "Member must satisfy regular expression pattern: [\\w+=,.@-]{2,64}",
    );
  }
  const externalId = params.get("ExternalId");
  if (externalId !== null && !/^[\w+=,.@:/-]{2,1224}$/.test(externalId)) {
    throw validationError(
      "externalId",
      "(not shown)",
      "Member must satisfy regular expression pattern: [\\w+=,.@:/-]{2,1224}",
    );
  }
  const durationSeconds = readDuration(params, 900, 43200, 3600);
  const role = state.directory.findRole(roleArn);
  // Unknown role, untrusted caller and wrong external id all look alike, as in AWS: no oracle.
  const trusted =
    role !== undefined &&
    isTrustedBy(role.config.trust, caller) &&
    (role.config.externalId === undefined ||
      (externalId !== null && equalSecrets(externalId, role.config.externalId)));
  if (!trusted)
    throw new AwsApiError("AccessDenied", 403, accessDeniedMessage(caller.arn, "sts:AssumeRole", roleArn));
  const mfaAuthenticated = checkMfa(caller, params, "sts:AssumeRole");
  if (durationSeconds > (role.config.maxSessionDuration ?? 3600)) {
    throw new AwsApiError(
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
  }
  if (caller.kind === "role-session" && durationSeconds > 3600) {
    throw new AwsApiError(
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
  }
  const session = state.sessions.issue(
    { kind: "role", role, sessionName },
    { now: state.clock(), durationSeconds, mfaAuthenticated },
  );
  recordSecrets(state, session);
  return {
    Credentials: credentials(session),
    AssumedRoleUser: {
      AssumedRoleId: `${role.config.roleId}:${sessionName}`,
      Arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.config.name}/${sessionName}`,
    },
  };
}

/**
 * SerialNumber + TokenCode are checked whenever given, and required when the calling user
 * has an MFA device and the calling session was not itself obtained with MFA.
 * Returns whether the new session counts as MFA-authenticated.
 */
function checkMfa(caller: Caller, params: URLSearchParams, action: string): boolean {
  const serialNumber = params.get("SerialNumber");
  const tokenCode = params.get("TokenCode");
  const inherited = caller.session?.mfaAuthenticated ?? false;
  if (serialNumber === null && tokenCode === null) {
    if (caller.user?.config.mfa !== undefined && !inherited) {
      throw new AwsApiError(
        "AccessDenied",
        403,
        `User: ${caller.arn} is not authorized to perform: ${action}: MultiFactorAuthentication is required ` +
          "(pass SerialNumber and TokenCode)",
      );
    }
    return inherited;
  }
  if (serialNumber === null || !/^[\w+=/:,.@-]{9,256}$/.test(serialNumber)) {
    throw validationError(
      "serialNumber",
      serialNumber,
      "Member must satisfy regular expression pattern: [\\w+=/:,.@-]{9,256}",
    );
  }
  if (tokenCode === null || !/^\d{6}$/.test(tokenCode)) {
    throw validationError(
      "tokenCode",
      "(not shown)",
      "Member must satisfy regular expression pattern: [\\d]{6}",
    );
  }
  const device = caller.user?.config.mfa;
  if (device === undefined || device.serialNumber !== serialNumber) {
    throw new AwsApiError(
      "AccessDenied",
      403,
      "MultiFactorAuthentication failed, unable to validate MFA code. " +
        "Please verify your MFA serial number is valid and associated with this user.",
    );
  }
  if (!equalSecrets(tokenCode, device.code)) {
    throw new AwsApiError(
      "AccessDenied",
      403,
      "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    );
  }
  return true;
}

function readDuration(params: URLSearchParams, min: number, max: number, fallback: number): number {
  const raw = params.get("DurationSeconds");
  if (raw === null) return fallback;
  const value = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min)) {
    throw validationError("durationSeconds", raw, `Member must have value greater than or equal to ${min}`);
  }
  if (value > max)
    throw validationError("durationSeconds", raw, `Member must have value less than or equal to ${max}`);
  return value;
}

function validationError(member: string, value: string | null, constraint: string): AwsApiError {
  const shown = value === null ? "null" : `'${value.length > 64 ? `${value.slice(0, 61)}...` : value}'`;
  return new AwsApiError(
    "ValidationError",
    400,
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

function credentials(session: IssuedSession): StsRecord {
  return {
    AccessKeyId: session.accessKeyId,
    SecretAccessKey: session.secretAccessKey,
    SessionToken: session.sessionToken,
    Expiration: session.expiresAt,
  };
}

function recordSecrets(state: LocalAwsState, session: IssuedSession): void {
  state.secrets.add(session.secretAccessKey);
  state.secrets.add(session.sessionToken);
}

function equalSecrets(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
