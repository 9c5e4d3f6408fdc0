// User and computer settings (the setting commands). Bytes (key + value) count against the
// user's storage quota and a per-user settings limit. Other users read only "public-" keys.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { chargeBytes, releaseBytes } from "./quota.ts";
import { tx } from "../db/tx.ts";
import { foldUsername } from "./usernames.ts";
import { notifySetting } from "./subscription-events.ts";

export const SETTING_LIMITS = {
  maxSettingKeyBytes: 256,
  maxSettingValueBytes: 64 * 1024,
  maxSettingsBytesPerUser: 128 * 1024,
} as const;

export async function putSetting(
  pool: pg.Pool,
  userId: string,
  computer: string,
  key: string,
  value: string | null,
): Promise<void> {
  const kb = Buffer.byteLength(key);
  if (!key || kb > SETTING_LIMITS.maxSettingKeyBytes || /[\r\n]/.test(key))
    throw new DomainError(
      "BADARGUMENTS",
      `a setting key has 1 to ${SETTING_LIMITS.maxSettingKeyBytes} bytes and no newline`,
    );
  if (value !== null && Buffer.byteLength(value) > SETTING_LIMITS.maxSettingValueBytes)
    throw new DomainError("TOOLARGE", `a setting value has at most ${SETTING_LIMITS.maxSettingValueBytes} bytes`);
  await tx(pool, async (c) => {
    const old = await c.query<{ value: string }>(
      `SELECT value FROM settings WHERE "userId" = $1 AND computer = $2 AND key = $3 FOR UPDATE`,
      [userId, computer, key],
    );
    const before = old.rows[0] ? kb + Buffer.byteLength(old.rows[0].value) : 0;
    const after = value === null ? 0 : kb + Buffer.byteLength(value);
    if (after > before) {
      const u = await c.query<{ settingsBytes: bigint }>(`SELECT "settingsBytes" FROM users WHERE id = $1 FOR UPDATE`, [
        userId,
      ]);
      if (Number(u.rows[0].settingsBytes) + after - before > SETTING_LIMITS.maxSettingsBytesPerUser)
        throw new DomainError(
          "QUOTAEXCEEDED",
          `settings are limited to ${SETTING_LIMITS.maxSettingsBytesPerUser} bytes per user`,
        );
      if (!(await chargeBytes(c, userId, BigInt(after - before), "settings")))
        throw new DomainError("QUOTAEXCEEDED", "this would exceed your storage quota");
    } else if (after < before) await releaseBytes(c, userId, BigInt(before - after), "settings");
    if (value === null)
      await c.query(`DELETE FROM settings WHERE "userId" = $1 AND computer = $2 AND key = $3`, [userId, computer, key]);
    else
      await c.query(
        `INSERT INTO settings ("userId", computer, key, value) VALUES ($1, $2, $3, $4) ON CONFLICT ("userId", computer, key) DO UPDATE SET value = EXCLUDED.value`,
        [userId, computer, key, value],
      );
    // Subscribers hear of it at commit (subscription-events.ts).
    await notifySetting(c, userId, computer, key, value === null);
  });
}

/**
 * Deletes a setting of one of the user's computers: NOSUCHCOMPUTER for an unknown computer,
 * NORESULTS when that setting is not set (so a typo in the key is not a silent success).
 */
export async function deleteComputerSetting(pool: pg.Pool, userId: string, computer: string, key: string) {
  const c = await pool.query(`SELECT 1 FROM computers WHERE "userId" = $1 AND name = $2`, [userId, computer]);
  if (!c.rowCount) throw new DomainError("NOSUCHCOMPUTER", `no computer "${computer}"`);
  const s = await pool.query(`SELECT 1 FROM settings WHERE "userId" = $1 AND computer = $2 AND key = $3`, [
    userId,
    computer,
    key,
  ]);
  if (!s.rowCount) throw new DomainError("NORESULTS", `computer "${computer}" has no setting "${key}"`);
  await putSetting(pool, userId, computer, key, null);
}

/** Resolves a user id of this realm ("" = the caller). Returns the local user id. */
export async function resolveLocalUser(
  pool: pg.Pool,
  realmId: string,
  fullId: string,
  selfId: string,
): Promise<{ id: string; self: boolean }> {
  if (!fullId) return { id: selfId, self: true };
  const at = fullId.lastIndexOf("::");
  const realm = at >= 0 ? fullId.slice(0, at) : realmId;
  const name = at >= 0 ? fullId.slice(at + 2) : fullId;
  if (realm.toLowerCase() !== realmId.toLowerCase())
    throw new DomainError("NOSUCHUSER", `${fullId} is not a user of this realm`);
  const r = await pool.query<{ id: string }>(`SELECT id FROM users WHERE "realmId" = $1 AND "usernameKey" = $2`, [
    realmId,
    foldUsername(name),
  ]);
  if (!r.rows[0]) throw new DomainError("NOSUCHUSER", `no user ${fullId}`);
  return { id: r.rows[0].id, self: r.rows[0].id === selfId };
}

/** A local user and whether it is the viewer (settings of others: "public-" keys only). */
export interface SettingsOwner {
  id: string;
  self: boolean;
}

/** One setting's value, or null when unset. UNAUTHORIZED for another user's non-public key. */
export async function getSetting(pool: pg.Pool, target: SettingsOwner, computer: string, key: string) {
  if (!target.self && !key.startsWith("public-"))
    throw new DomainError("UNAUTHORIZED", 'only settings whose key starts with "public-" are readable by other users');
  const r = await pool.query<{ value: string }>(
    `SELECT value FROM settings WHERE "userId" = $1 AND computer = $2 AND key = $3`,
    [target.id, computer, key],
  );
  return r.rows[0]?.value ?? null;
}

/** Setting keys of a user's computer ("" = the user's own), sorted; only "public-" ones of others. */
export async function listSettingKeys(pool: pg.Pool, target: SettingsOwner, computer: string): Promise<string[]> {
  const r = await pool.query<{ key: string }>(
    `SELECT key FROM settings WHERE "userId" = $1 AND computer = $2 ${target.self ? "" : "AND key LIKE 'public-%'"} ORDER BY key`,
    [target.id, computer],
  );
  return r.rows.map((x) => x.key);
}
