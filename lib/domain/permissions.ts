// Who may do what in the console. Pure functions over an Actor, so every route handler, server
// action and page asks the same questions, and the permission matrix is testable on its own.
// A denied realm-scoped check is answered with 404 by callers, so an operator of realm A cannot
// even learn whether a realm-B object exists.

import type { OperatorRole } from "../generated/prisma/enums.ts";
export type { OperatorRole };

/** A signed-in console operator, as loaded from the database on each request. */
export interface OperatorActor {
  kind: "operator";
  id: string;
  username: string;
  role: OperatorRole;
  /** Realms assigned through operator_realms (ignored for administrators, who see every realm). */
  realmIds: ReadonlySet<string>;
  /** Set when the request came through /api/v1 with this token (named in the audit log). */
  apiToken?: { id: string; name: string; prefix: string };
}

/** Room for other principals (e.g. realm users signing in to the signup/account pages). */
export type Actor = OperatorActor;

export function isAdmin(actor: Actor): boolean {
  return actor.kind === "operator" && actor.role === "ADMIN";
}

/** Realm ids the actor may see, or null for "all realms". */
export function visibleRealmIds(actor: Actor): string[] | null {
  return isAdmin(actor) ? null : [...actor.realmIds];
}

export function canViewRealm(actor: Actor, realmId: string): boolean {
  return isAdmin(actor) || (actor.kind === "operator" && actor.realmIds.has(realmId));
}

/** Realm settings (registration, captcha, caps, quotas, limits, descriptive fields). */
export function canEditRealm(actor: Actor, realmId: string): boolean {
  return canViewRealm(actor, realmId);
}

/** Enabling/disabling a whole realm is a platform decision. */
export function canChangeRealmStatus(actor: Actor, realmId: string): boolean {
  return isAdmin(actor) && canViewRealm(actor, realmId);
}

export function canCreateRealm(actor: Actor): boolean {
  return isAdmin(actor);
}

export function canManageUsers(actor: Actor, realmId: string): boolean {
  return canViewRealm(actor, realmId);
}

export function canManageInvites(actor: Actor, realmId: string): boolean {
  return canViewRealm(actor, realmId);
}

export function canManageOperators(actor: Actor): boolean {
  return isAdmin(actor);
}

/** The daemon instances sharing the database (console "Instances" page): every realm's servers. */
export function canViewInstances(actor: Actor): boolean {
  return isAdmin(actor);
}

/** Asking an instance to drain and exit (console "Instances" page): it serves every realm. */
export function canDrainInstances(actor: Actor): boolean {
  return isAdmin(actor);
}

/** The management server's realm registry: enrollment tokens, approvals, keys. */
export function canManageFederation(actor: Actor): boolean {
  return isAdmin(actor);
}

/** realmId null means platform-wide entries (operators, federation, seed). */
export function canViewAudit(actor: Actor, realmId: string | null): boolean {
  return realmId === null ? isAdmin(actor) : canViewRealm(actor, realmId);
}
