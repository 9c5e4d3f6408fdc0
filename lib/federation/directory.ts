// The management server's public directory (client port): approved realms and their current
// keys, read from the registry tables (known_realms, known_realm_keys).
import type pg from "pg";

export interface DirectoryRealm {
  realmId: string;
  name: string;
  registrationMode: string;
  captchaRequired: boolean;
  signupUrl: string;
  description: string;
}

/** Every approved realm, by name. */
export async function listApprovedRealms(pool: pg.Pool): Promise<DirectoryRealm[]> {
  const r = await pool.query<DirectoryRealm>(
    `SELECT "realmId", name, "registrationMode", "captchaRequired", "signupUrl", description FROM known_realms WHERE status = 'APPROVED' ORDER BY name`,
  );
  return r.rows;
}

export interface DirectoryKey {
  fingerprint: string;
  validFrom: Date;
  validUntil: Date | null;
  tlsFingerprint: string | null;
}

/** The currently valid keys of an approved realm, newest first (both during a rotation); [] if none. */
export async function approvedRealmKeys(pool: pg.Pool, realmId: string): Promise<DirectoryKey[]> {
  const r = await pool.query<DirectoryKey>(
    `SELECT k.fingerprint, k."validFrom", k."validUntil", k."tlsFingerprint" FROM known_realm_keys k JOIN known_realms r ON r."realmId" = k."realmId"
      WHERE k."realmId" = $1 AND r.status = 'APPROVED' AND k."revokedAt" IS NULL AND (k."validUntil" IS NULL OR k."validUntil" > now()) ORDER BY k."validFrom" DESC`,
    [realmId],
  );
  return r.rows;
}
