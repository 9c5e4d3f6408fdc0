// What a console/web session carries. `kind` tells principals apart, so a second credentials
// provider (realm users on the signup/account pages) can add its own variant without an
// operator session ever being mistaken for a user session or the other way round.
import type { OperatorRole } from "../domain/permissions.ts";

export interface OperatorPrincipal {
  kind: "operator";
  id: string;
  username: string;
  role: OperatorRole;
  /** operators.sessionEpoch at sign-in: a password change bumps it and ends the session. */
  sessionEpoch: number;
}

/** A realm user signed in to their account pages (/account) with their realm credentials. */
export interface RealmUserPrincipal {
  kind: "realm-user";
  userId: string;
  realmId: string;
  username: string;
  /** users.sessionEpoch at sign-in: an operator's "sign out everywhere" or password reset bumps it. */
  sessionEpoch: number;
}

export type Principal = OperatorPrincipal | RealmUserPrincipal;
export type PrincipalKind = Principal["kind"];

/** Console sessions end after this long without activity (JWT maxAge). */
export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;
/** The session cookie is re-issued (sliding expiry) at most this often. */
export const SESSION_UPDATE_AGE_SECONDS = 15 * 60;
