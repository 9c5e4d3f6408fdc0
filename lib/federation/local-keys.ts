// The keys this realm signs with: every currently valid key, newest first. During a rotation's
// overlap window the realm signs with the old and the new key, so a peer that only knows one of
// them (its cache is older, or the management server is down) still verifies it.
import type pg from "pg";
import { sign, type Proof } from "./signing.ts";
import { tx } from "../db/tx.ts";
import { storeRotatedKey, type RealmKeyMaterial } from "../realm/keys.ts";

export interface SigningKey {
  keyId: string;
  fingerprint: string;
  publicKeyPem: string;
  privateKeyPem: string;
  certPem: string;
}

export async function loadSigningKeys(pool: pg.Pool, realmId: string): Promise<SigningKey[]> {
  const r = await pool.query<SigningKey>(
    `SELECT k.id AS "keyId", k.fingerprint, k."publicKeyPem", s."privateKeyPem", k."tlsCertPem" AS "certPem"
       FROM realm_keys k JOIN realm_key_secrets s ON s."keyId" = k.id
      WHERE k."realmId" = $1 AND k."revokedAt" IS NULL AND NOT k."publishPending" AND (k."validUntil" IS NULL OR k."validUntil" > now())
      ORDER BY k."validFrom" DESC LIMIT 4`,
    [realmId],
  );
  return r.rows;
}

export function proofsFor(keys: readonly SigningKey[], payload: Buffer): Proof[] {
  return keys.map((k) => ({ fingerprint: k.fingerprint, signature: sign(k.privateKeyPem, payload) }));
}

/**
 * Crash-safe rotation (issue #12): a new key is committed here as `publishPending` before it is
 * published, so a crash in between never loses the private half; a pending key is not used for
 * TLS or proofs until the management server took it, and a restart publishes it.
 */
export async function storePendingKey(pool: pg.Pool, k: Omit<RealmKeyMaterial, "keyId">): Promise<string> {
  return tx(pool, async (c) => {
    const id = await storeRotatedKey(c, k, null);
    await c.query(`UPDATE realm_keys SET "publishPending" = true WHERE id = $1`, [id]);
    return id;
  });
}

export async function loadPendingKeys(pool: pg.Pool, realmId: string): Promise<SigningKey[]> {
  const r = await pool.query<SigningKey>(
    `SELECT k.id AS "keyId", k.fingerprint, k."publicKeyPem", s."privateKeyPem", k."tlsCertPem" AS "certPem"
       FROM realm_keys k JOIN realm_key_secrets s ON s."keyId" = k.id
      WHERE k."realmId" = $1 AND k."revokedAt" IS NULL AND k."publishPending" ORDER BY k."validFrom"`,
    [realmId],
  );
  return r.rows;
}

/** The management server took the key: it becomes current; the older keys end with the overlap it set. */
export async function markKeyPublished(pool: pg.Pool, realmId: string, keyId: string, oldValidUntil: Date) {
  await tx(pool, async (c) => {
    await c.query(`UPDATE realm_keys SET "publishPending" = false, "validFrom" = clock_timestamp() WHERE id = $1`, [
      keyId,
    ]);
    await c.query(
      `UPDATE realm_keys SET "validUntil" = LEAST(COALESCE("validUntil", $3), $3) WHERE "realmId" = $1 AND id <> $2 AND "revokedAt" IS NULL AND NOT "publishPending"`,
      [realmId, keyId, oldValidUntil],
    );
  });
}
