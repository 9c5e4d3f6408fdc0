// The audit log for people: action names, field labels, units, realm names instead of ids, and
// bookkeeping fields (updatedAt, counters the system maintains) left out of "what changed".
import type { Prisma } from "../generated/prisma/client.ts";
import { formatBytes } from "../format/bytes.ts";
import { changedKeys } from "./audit.ts";

const ACTIONS: Record<string, string> = {
  "realm.create": "Realm created",
  "realm.update": "Realm settings changed",
  "realm.key-rotate": "Realm key rotated",
  "user.create": "User created",
  "user.limits": "User limits changed",
  "user.suspend": "User suspended",
  "user.reactivate": "User reactivated",
  "user.reset-password": "User password reset",
  "user.signup-throttle-reset": "Signup throttle reset",
  "invite.create": "Invite created",
  "invite.revoke": "Invite revoked",
  "help.create": "Help document created",
  "help.update": "Help document changed",
  "help.delete": "Help document deleted",
  "operator.create": "Operator created",
  "operator.update": "Operator changed",
  "operator.password": "Operator password set",
  "operator.api-token-create": "API token created",
  "operator.api-token-revoke": "API token revoked",
  "federation.token-create": "Enrollment token created",
  "federation.token-revoke": "Enrollment token revoked",
  "federation.key-revoke": "Realm key revoked",
  "federation.realm-blocked": "Realm blocked",
  "federation.realm-active": "Realm unblocked",
  seed: "Initial setup",
};

const FIELDS: Record<string, string> = {
  name: "Name",
  description: "Description",
  contactEmail: "Contact email",
  contactUserId: "Contact user",
  registrationMode: "Registration",
  captchaProvider: "Captcha",
  hcaptchaSiteKey: "hCaptcha site key",
  hcaptchaSecret: "hCaptcha secret",
  userCap: "User cap",
  defaultQuotaBytes: "Default quota",
  quotaBytes: "Quota",
  maxComputersPerUser: "Computers per user",
  maxComputers: "Computers",
  messageRetentionDays: "Message retention (days)",
  imessageRatePerMinute: "Immediate messages per minute",
  workspaceInactivityDays: "Workspace inactivity (days)",
  maxWorkspaceChangeBytes: "Largest workspace change",
  maxSubscriptionsPerUser: "Subscriptions per user",
  maxChannelsPerUser: "Channels per user",
  path: "Path",
  body: "Text",
  status: "Status",
  role: "Role",
  disabled: "Disabled",
  realmIds: "Realms",
  realmId: "Realm",
  usesAllowed: "Uses allowed",
  expiresAt: "Expires",
  note: "Note",
  canCreateWorkspaces: "Can create workspaces",
  canCreateInvites: "Can create invites",
  password: "Password",
  passwordHash: "Password",
  sessionEpoch: "Signed out everywhere",
  username: "Username",
  host: "Host",
  port: "Port",
  slug: "Short name",
};

/** Maintained by the system, not chosen by the operator: never listed as "changed". */
const NOISE = new Set(["updatedAt", "createdAt", "lastLoginAt", "userCount", "bytesUsed", "id"]);

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}

export function fieldLabel(key: string): string {
  return FIELDS[key] ?? key.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
}

const ENUMS: Record<string, string> = {
  OPEN: "open",
  INVITE: "invite only",
  CLOSED: "closed",
  NONE: "none",
  HCAPTCHA: "hCaptcha",
  ALTCHA: "ALTCHA",
  ACTIVE: "active",
  SUSPENDED: "suspended",
  DISABLED: "disabled",
  ADMIN: "administrator",
  REALM_OPERATOR: "realm operator",
};

/** One value as a person reads it: sizes in MiB/GiB, realm names, yes/no, dates, enums. */
export function displayValue(key: string, value: unknown, realmName: (id: string) => string): string {
  if (value === undefined || value === null || value === "") return "—";
  if (key === "sessionEpoch") return `#${String(value)}`;
  if (/Bytes$/.test(key) && (typeof value === "string" || typeof value === "number") && /^\d+$/.test(String(value)))
    return formatBytes(BigInt(value));
  if (key === "realmId" && typeof value === "string") return realmName(value);
  if (key === "realmIds" && Array.isArray(value))
    return value.length ? value.map((v) => realmName(String(v))).join(", ") : "none";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string" && ENUMS[value]) return ENUMS[value];
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value))
    return new Date(value).toISOString().replace("T", " ").slice(0, 16) + " UTC";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export interface ChangeLine {
  key: string;
  label: string;
  before: string;
  after: string;
}

/** The fields an operator changed, labelled and formatted; noise fields left out. */
export function describeChanges(
  before: Prisma.JsonValue,
  after: Prisma.JsonValue,
  realmName: (id: string) => string,
): ChangeLine[] {
  const b = (before && typeof before === "object" && !Array.isArray(before) ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === "object" && !Array.isArray(after) ? after : {}) as Record<string, unknown>;
  return changedKeys(before, after)
    .filter((k) => !NOISE.has(k))
    .map((k) => ({
      key: k,
      label: fieldLabel(k),
      before: displayValue(k, b[k], realmName),
      after: displayValue(k, a[k], realmName),
    }));
}

export { relativeTime } from "../format/time.ts";

/** "operator:admin" -> "admin" (the kind prefix is for machines). */
export function actorName(label: string): string {
  return label.replace(/^operator:/, "");
}
