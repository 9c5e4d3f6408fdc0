// Realm rows -> the serialisable values the realm form starts from.
import { fromBytes, GiB, MiB } from "../../../lib/console/form.ts";
import type { RealmView } from "../../../lib/console/realms.ts";
import type { RealmFormValues } from "../_components/realm-form.tsx";

export function realmFormValues(r: RealmView): RealmFormValues {
  const quota = fromBytes(r.defaultQuotaBytes);
  const change = fromBytes(r.maxWorkspaceChangeBytes);
  return {
    realmId: r.id,
    host: r.host,
    port: r.port,
    slug: r.slug,
    name: r.name,
    description: r.description,
    contactEmail: r.contactEmail,
    contactUserId: r.contactUserId,
    registrationMode: r.registrationMode,
    captchaProvider: r.captchaProvider,
    hcaptchaSiteKey: r.hcaptchaSiteKey ?? "",
    hasHcaptchaSecret: r.hasHcaptchaSecret,
    userCap: r.userCap,
    userCount: r.userCount,
    defaultQuota: quota.value,
    defaultQuotaUnit: quota.unit,
    maxComputersPerUser: r.maxComputersPerUser,
    messageRetentionDays: r.messageRetentionDays,
    imessageRatePerMinute: r.imessageRatePerMinute,
    maxUnsentMessagesPerUser: r.maxUnsentMessagesPerUser,
    workspaceInactivityDays: r.workspaceInactivityDays,
    maxWorkspaceChange: change.value,
    maxWorkspaceChangeUnit: change.unit,
    legacyTlsPort: r.legacyTlsPort === null ? "" : String(r.legacyTlsPort),
    status: r.status,
  };
}

export const NEW_REALM_VALUES: RealmFormValues = {
  host: "",
  port: 63745,
  slug: "",
  name: "",
  description: "",
  contactEmail: "",
  contactUserId: "",
  registrationMode: "INVITE",
  captchaProvider: "NONE",
  hcaptchaSiteKey: "",
  hasHcaptchaSecret: false,
  userCap: 100,
  userCount: 0,
  defaultQuota: fromBytes(GiB).value,
  defaultQuotaUnit: "GiB",
  maxComputersPerUser: 8,
  messageRetentionDays: 30,
  imessageRatePerMinute: 60,
  maxUnsentMessagesPerUser: 100,
  workspaceInactivityDays: 21,
  maxWorkspaceChange: fromBytes(256n * MiB).value,
  maxWorkspaceChangeUnit: "MiB",
  legacyTlsPort: "",
  status: "ACTIVE",
};
