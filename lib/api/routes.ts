// The operator HTTP API's routes: each one names a lib/console command (the same zod schema,
// permission check, query and audit as the console) and where its input comes from. The
// dispatcher (lib/api/handler.ts), the OpenAPI document (lib/api/openapi.ts) and the authz test
// (tests/integration/api-authz.test.ts, which fails for a route without a row) all read this table.
import type { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Command } from "../console/command.ts";
// Tokens are created in the console only (a token never mints tokens): no route for createApiToken.
import { revokeApiToken } from "../console/api-tokens.ts";
import { createInvite, revokeInvite } from "../console/invites.ts";
import { createOperator, setOperatorPassword, updateOperator } from "../console/operators.ts";
import * as q from "../console/queries.ts";
import { createRealm, updateRealm } from "../console/realms.ts";
import { listRealmSignupThrottles, resetRealmSignupThrottle } from "../console/signup-throttles.ts";
import { deleteUserAccount } from "../console/user-data.ts";
import { createUser, issuePasswordLink } from "../console/user-create.ts";
import { resetUserPassword, setUserStatus, updateUserLimits } from "../console/users.ts";
import { fromBytes } from "../format/bytes.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = Command<z.ZodType, any>;
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Values = Record<string, unknown>;

export interface ApiRoute {
  method: Method;
  /** Below /api/v1; {slug} is a realm's short name and becomes the command's realmId. */
  path: string;
  summary: string;
  tag: "Realms" | "Users" | "Invites" | "Signup throttle" | "Operators" | "Audit log" | "Backups" | "API tokens";
  command: AnyCommand;
  /** PATCH: the current values the JSON body is laid over (null: the target does not exist). */
  current?: (prisma: PrismaClient, input: Values) => Promise<Values | null>;
  /** Query parameters naming a realm by short name, passed to the command as realmId. */
  realmQuery?: string;
}

const size = (bytes: bigint | null, field: string): Values => {
  if (bytes === null) return { [field]: "" };
  const s = fromBytes(bytes);
  return { [field]: s.value, [`${field}Unit`]: s.unit };
};

async function currentRealmSettings(prisma: PrismaClient, input: Values): Promise<Values | null> {
  const r = await prisma.realm.findUnique({ where: { id: String(input.realmId) } });
  if (!r) return null;
  return {
    name: r.name,
    description: r.description,
    contactEmail: r.contactEmail,
    contactUserId: r.contactUserId,
    registrationMode: r.registrationMode,
    captchaProvider: r.captchaProvider,
    hcaptchaSiteKey: r.hcaptchaSiteKey ?? "",
    userCap: r.userCap,
    ...size(r.defaultQuotaBytes, "defaultQuota"),
    maxComputersPerUser: r.maxComputersPerUser,
    messageRetentionDays: r.messageRetentionDays,
    imessageRatePerMinute: r.imessageRatePerMinute,
    maxUnsentMessagesPerUser: r.maxUnsentMessagesPerUser,
    workspaceInactivityDays: r.workspaceInactivityDays,
    ...size(r.maxWorkspaceChangeBytes, "maxWorkspaceChange"),
  };
}

async function currentUserLimits(prisma: PrismaClient, input: Values): Promise<Values | null> {
  const u = await prisma.user.findUnique({ where: { id: String(input.userId) } });
  if (!u) return null;
  return {
    ...size(u.quotaBytes, "quota"),
    imessageRatePerMinute: u.imessageRatePerMinute ?? "",
    canMessageOtherRealms: u.canMessageOtherRealms,
    canCreateWorkspaces: u.canCreateWorkspaces,
    canCreateInvites: u.canCreateInvites,
  };
}

async function currentOperator(prisma: PrismaClient, input: Values): Promise<Values | null> {
  const o = await prisma.operator.findUnique({
    where: { id: String(input.operatorId) },
    include: { realms: { select: { realmId: true } } },
  });
  if (!o) return null;
  return { role: o.role, disabled: o.disabled, realmIds: o.realms.map((r) => r.realmId) };
}

export const API_ROUTES: ApiRoute[] = [
  { method: "GET", path: "/realms", tag: "Realms", summary: "Realms you operate", command: q.listRealmsQuery },
  { method: "POST", path: "/realms", tag: "Realms", summary: "Create a realm (administrators)", command: createRealm },
  {
    method: "GET",
    path: "/realms/{slug}",
    tag: "Realms",
    summary: "One realm and its settings",
    command: q.getRealmQuery,
  },
  {
    method: "PATCH",
    path: "/realms/{slug}",
    tag: "Realms",
    summary: "Change realm settings (fields left out keep their value)",
    command: updateRealm,
    current: currentRealmSettings,
  },
  {
    method: "GET",
    path: "/realms/{slug}/users",
    tag: "Users",
    summary: "Search a realm's users by username prefix (keyset pages: after / before)",
    command: q.searchUsersQuery,
  },
  {
    method: "POST",
    path: "/realms/{slug}/users",
    tag: "Users",
    summary: "Create a user with a one-time set-password link",
    command: createUser,
  },
  {
    method: "GET",
    path: "/users/{userId}",
    tag: "Users",
    summary: "One user: storage, computers",
    command: q.getUserQuery,
  },
  {
    method: "POST",
    path: "/users/{userId}/status",
    tag: "Users",
    summary: "Suspend (SUSPENDED) or reactivate (ACTIVE) a user",
    command: setUserStatus,
  },
  {
    method: "PATCH",
    path: "/users/{userId}/limits",
    tag: "Users",
    summary: "Change a user's quota and permissions (quota empty: the realm default)",
    command: updateUserLimits,
    current: currentUserLimits,
  },
  {
    method: "POST",
    path: "/users/{userId}/password-reset",
    tag: "Users",
    summary: "Set a new password (blank: generate one, returned once)",
    command: resetUserPassword,
  },
  {
    method: "POST",
    path: "/users/{userId}/set-password-link",
    tag: "Users",
    summary: "A new one-time set-password link for a user",
    command: issuePasswordLink,
  },
  {
    method: "DELETE",
    path: "/users/{userId}",
    tag: "Users",
    summary: "Delete a user's account and data (confirm = the username)",
    command: deleteUserAccount,
  },
  {
    method: "GET",
    path: "/realms/{slug}/invites",
    tag: "Invites",
    summary: "A realm's invites",
    command: q.listInvitesQuery,
  },
  {
    method: "POST",
    path: "/realms/{slug}/invites",
    tag: "Invites",
    summary: "Create an invite (the link is returned once)",
    command: createInvite,
  },
  {
    method: "POST",
    path: "/invites/{inviteId}/revoke",
    tag: "Invites",
    summary: "Revoke an invite",
    command: revokeInvite,
  },
  {
    method: "GET",
    path: "/realms/{slug}/signup-throttles",
    tag: "Signup throttle",
    summary: "Addresses with signup attempts in the current window: attempts, remaining, until",
    command: listRealmSignupThrottles,
  },
  {
    method: "POST",
    path: "/realms/{slug}/signup-throttles/reset",
    tag: "Signup throttle",
    summary: "Forget one address's signup attempts on a realm",
    command: resetRealmSignupThrottle,
  },
  {
    method: "GET",
    path: "/operators",
    tag: "Operators",
    summary: "Operators (administrators)",
    command: q.listOperatorsQuery,
  },
  { method: "POST", path: "/operators", tag: "Operators", summary: "Create an operator", command: createOperator },
  {
    method: "GET",
    path: "/operators/{operatorId}",
    tag: "Operators",
    summary: "One operator",
    command: q.getOperatorQuery,
  },
  {
    method: "PATCH",
    path: "/operators/{operatorId}",
    tag: "Operators",
    summary: "Change an operator's role, realms or disabled flag",
    command: updateOperator,
    current: currentOperator,
  },
  {
    method: "PUT",
    path: "/operators/{operatorId}/password",
    tag: "Operators",
    summary: "Set an operator's password (ends their sessions and API tokens)",
    command: setOperatorPassword,
  },
  {
    method: "GET",
    path: "/audit",
    tag: "Audit log",
    summary: "Audit entries, newest first (filter by realm, action prefix, actor; page with before)",
    command: q.listAuditQuery,
    realmQuery: "realm",
  },
  {
    method: "GET",
    path: "/backups/status",
    tag: "Backups",
    summary: "The last backup run",
    command: q.backupStatusQuery,
  },
  { method: "GET", path: "/tokens", tag: "API tokens", summary: "Your API tokens", command: q.listApiTokensQuery },
  {
    method: "POST",
    path: "/tokens/{tokenId}/revoke",
    tag: "API tokens",
    summary: "Revoke an API token",
    command: revokeApiToken,
  },
];

/** Path placeholders, e.g. ["slug", "userId"]. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

/** The command input fields a route fills from its path ({slug} fills realmId). */
export function pathFields(route: ApiRoute): string[] {
  return pathParams(route.path).map((p) => (p === "slug" ? "realmId" : p));
}

/** The route for a method and a path below /api/v1, with its path parameters. */
export function matchRoute(
  method: string,
  path: string,
): { route: ApiRoute; params: Record<string, string> } | { route: null; allowed: Method[] } {
  const segs = path.split("/").filter(Boolean);
  const allowed: Method[] = [];
  for (const route of API_ROUTES) {
    const pattern = route.path.split("/").filter(Boolean);
    if (pattern.length !== segs.length) continue;
    const params: Record<string, string> = {};
    const fits = pattern.every((p, i) => {
      const m = /^\{(\w+)\}$/.exec(p);
      if (!m) return p === segs[i];
      try {
        params[m[1]] = decodeURIComponent(segs[i]);
      } catch {
        return false;
      }
      return params[m[1]].length > 0;
    });
    if (!fits) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return { route: null, allowed };
}
