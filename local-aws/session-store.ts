import { randomBytes } from "node:crypto";
import type { RoleEntry, UserEntry } from "./directory.js";

/** Whose temporary credentials these are: a user's (GetSessionToken) or a role's (AssumeRole). */
export type SessionSubject =
  | { readonly kind: "user"; readonly user: UserEntry }
  | { readonly kind: "role"; readonly role: RoleEntry; readonly sessionName: string };

export interface IssuedSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly subject: SessionSubject;
  /** Whether MFA was presented when the session was issued (or inherited from the calling session). */
  readonly mfaAuthenticated: boolean;
  /** Mutable only through SessionStore.expire. */
  expiresAt: Date;
}

export interface SessionStore {
  issue(
    subject: SessionSubject,
    options: { now: Date; durationSeconds: number; mfaAuthenticated: boolean },
  ): IssuedSession;
  find(accessKeyId: string): IssuedSession | undefined;
  /** Makes a session expired as of `now`; false when no such session was issued. */
  expire(accessKeyId: string, now: Date): boolean;
}

const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Temporary access key ids look like AWS's: `ASIA` + 16 upper-case base32 characters. */
function newAccessKeyId(): string {
  return `ASIA${[...randomBytes(16)].map((b) => base32[b % 32]).join("")}`;
}

/** An in-memory store of every temporary credential issued by this process. */
export function createSessionStore(): SessionStore {
  const sessions = new Map<string, IssuedSession>();
  return {
    issue(subject, { now, durationSeconds, mfaAuthenticated }) {
      let accessKeyId = newAccessKeyId();
      while (sessions.has(accessKeyId)) accessKeyId = newAccessKeyId();
      const session: IssuedSession = {
        accessKeyId,
        secretAccessKey: randomBytes(30).toString("base64"),
        sessionToken: `LocalAwsSessionToken/${randomBytes(96).toString("base64")}`,
        subject,
        mfaAuthenticated,
        expiresAt: new Date(now.getTime() + durationSeconds * 1000),
      };
      sessions.set(accessKeyId, session);
      return session;
    },
    find: (accessKeyId) => sessions.get(accessKeyId),
    expire(accessKeyId, now) {
      const session = sessions.get(accessKeyId);
      if (session === undefined) return false;
      if (session.expiresAt.getTime() > now.getTime()) session.expiresAt = now;
      return true;
    },
  };
}
