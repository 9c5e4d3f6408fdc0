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

/**
 * What a stored message costs its local sender on top of its data: its row, id and recipient
 * entries take space too, so 1,000 empty messages are not free. Charged when the message is
 * created (createmessage, postmessage), with the data's charge rule, and released with the data
 * when the message goes. docs/protocol.md §7 states these figures.
 */
export const MESSAGE_OVERHEAD = {
  perMessageBytes: 1024,
  perRecipientBytes: 64,
} as const;

/** The overhead charged for a message with `entries` recipient entries (one per recipient computer). */
export function messageOverheadBytes(entries: number): bigint {
  return BigInt(MESSAGE_OVERHEAD.perMessageBytes + MESSAGE_OVERHEAD.perRecipientBytes * entries);
}
