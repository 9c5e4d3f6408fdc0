// The effective-quota rule, written once: a user's own quota when set, else their realm's
// default. SQL callers splice `effectiveQuotaSql(...)` (aliases of the users and realms rows);
// TypeScript callers use `effectiveQuota`. No imports, so the web console can use it too.

/** SQL expression of a user's effective quota; `user` and `realm` are table aliases in the query. */
export function effectiveQuotaSql(user = "u", realm = "r"): string {
  return `COALESCE(${user}."quotaBytes", ${realm}."defaultQuotaBytes")`;
}

/** The same rule on loaded rows. */
export function effectiveQuota(user: { quotaBytes: bigint | null }, realm: { defaultQuotaBytes: bigint }): bigint {
  return user.quotaBytes ?? realm.defaultQuotaBytes;
}
