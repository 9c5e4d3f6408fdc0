// Realm side: the management server key this realm daemon trusts, per management address
// (management_pins). Sources: "configured" (OPENGROOVE_MANAGEMENT_FINGERPRINT, handed over with
// the enrollment token), "same-install" (the key is in this very database), "first-use" (logged
// loudly, shown in the console), "rotation" (followed through a vouch of the pinned key).
import type pg from "pg";

export interface ManagementPinRow {
  address: string;
  fingerprint: string;
  source: string;
  pinnedAt: Date;
}

export async function loadManagementPin(pool: pg.Pool, address: string): Promise<ManagementPinRow | null> {
  const r = await pool.query<ManagementPinRow>(
    `SELECT address, fingerprint, source, "pinnedAt" FROM management_pins WHERE address = $1`,
    [address],
  );
  return r.rows[0] ?? null;
}

export async function saveManagementPin(
  pool: pg.Pool,
  address: string,
  fingerprint: string,
  source: string,
): Promise<void> {
  await pool.query(
    `INSERT INTO management_pins (address, fingerprint, source, "pinnedAt") VALUES ($1, $2, $3, now())
     ON CONFLICT (address) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, source = EXCLUDED.source, "pinnedAt" = now()`,
    [address, fingerprint, source],
  );
}

/** Whether the management key is one of this install's own (the management server shares this database). */
export async function isSameInstallManagementKey(pool: pg.Pool, fingerprint: string): Promise<boolean> {
  const r = await pool.query(`SELECT 1 FROM management_keys WHERE fingerprint = $1 AND "revokedAt" IS NULL`, [
    fingerprint,
  ]);
  return (r.rowCount ?? 0) > 0;
}
