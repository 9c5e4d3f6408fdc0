// The keys this realm signs with: every currently valid key, newest first. During a rotation's
// overlap window the realm signs with the old and the new key, so a peer that only knows one of
// them (its cache is older, or the management server is down) still verifies it.
import type pg from "pg";
import { sign, type Proof } from "./signing.ts";

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
      WHERE k."realmId" = $1 AND k."revokedAt" IS NULL AND (k."validUntil" IS NULL OR k."validUntil" > now())
      ORDER BY k."validFrom" DESC LIMIT 4`,
    [realmId],
  );
  return r.rows;
}

export function proofsFor(keys: readonly SigningKey[], payload: Buffer): Proof[] {
  return keys.map((k) => ({ fingerprint: k.fingerprint, signature: sign(k.privateKeyPem, payload) }));
}
