// This realm's cache of other realms' registry entries (federation_peers / federation_peer_keys
// in the realm's own database). It is what keeps realms that already know each other talking
// while the management server is down: cached keys stay usable until their own validUntil.
import type pg from "pg";
import { tx } from "../db/tx.ts";
import type { RegistryRecord, RegistryStatus } from "./registry-wire.ts";

export interface CachedKey {
  fingerprint: string;
  publicKeyPem: string;
  validFrom: Date;
  validUntil: Date | null;
  revokedAt: Date | null;
}

export interface CachedPeer {
  realmId: string;
  status: RegistryStatus;
  address: string;
  fetchedAt: Date;
  keys: CachedKey[];
}

export async function loadPeer(pool: pg.Pool, realmId: string): Promise<CachedPeer | null> {
  const p = await pool.query<{ status: RegistryStatus; address: string; fetchedAt: Date }>(
    `SELECT status, address, "fetchedAt" FROM federation_peers WHERE "realmId" = $1`,
    [realmId],
  );
  if (!p.rows[0]) return null;
  const k = await pool.query<CachedKey>(
    `SELECT fingerprint, "publicKeyPem", "validFrom", "validUntil", "revokedAt" FROM federation_peer_keys WHERE "realmId" = $1`,
    [realmId],
  );
  return { realmId, ...p.rows[0], keys: k.rows };
}

/** Replaces the cached entry with what the management server said (keeps the held-bytes counter). */
export async function storePeer(pool: pg.Pool, r: RegistryRecord): Promise<void> {
  await tx(pool, async (c) => {
    await c.query(
      `INSERT INTO federation_peers ("realmId", address, status, "fetchedAt") VALUES ($1, $2, $3, now())
       ON CONFLICT ("realmId") DO UPDATE SET address = EXCLUDED.address, status = EXCLUDED.status, "fetchedAt" = now()`,
      [r.realmId, r.address, r.status],
    );
    // Keys the registry no longer lists were revoked or expired there: mark them revoked here.
    await c.query(
      `UPDATE federation_peer_keys SET "revokedAt" = COALESCE("revokedAt", now()) WHERE "realmId" = $1 AND NOT (fingerprint = ANY($2))`,
      [r.realmId, r.keys.map((k) => k.fingerprint)],
    );
    for (const k of r.keys) {
      await c.query(
        `INSERT INTO federation_peer_keys ("realmId", fingerprint, "publicKeyPem", "validFrom", "validUntil") VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ("realmId", fingerprint) DO UPDATE SET "validUntil" = EXCLUDED."validUntil", "revokedAt" = NULL`,
        [r.realmId, k.fingerprint, k.publicKeyPem, k.validFrom, k.validUntil],
      );
    }
  });
}

/** The management server does not know this realm (any more): nothing of it is trusted. */
export async function forgetPeer(pool: pg.Pool, realmId: string): Promise<void> {
  await pool.query(`UPDATE federation_peers SET status = 'PENDING', "fetchedAt" = now() WHERE "realmId" = $1`, [
    realmId,
  ]);
  await pool.query(`UPDATE federation_peer_keys SET "revokedAt" = COALESCE("revokedAt", now()) WHERE "realmId" = $1`, [
    realmId,
  ]);
}

/** Forces a fetch before the next use (e.g. its address stopped answering). */
export async function markStale(pool: pg.Pool, realmId: string): Promise<void> {
  await pool.query(`UPDATE federation_peers SET "fetchedAt" = to_timestamp(0) WHERE "realmId" = $1`, [realmId]);
}

export async function cachedPeerIds(pool: pg.Pool): Promise<string[]> {
  return (await pool.query<{ realmId: string }>(`SELECT "realmId" FROM federation_peers ORDER BY "realmId"`)).rows.map(
    (r) => r.realmId,
  );
}
