// The management server's own key pair (issue #12): made on first start, stored like realm keys
// (public half + certificate in management_keys, private half in management_key_secrets), served
// as the TLS certificate of both management ports. Rotation (console, lib/console/federation-trust.ts)
// makes a new key that the current one vouches for (a signature over the new fingerprint); the
// older key stays listed for an overlap window so clients that pinned it can follow the chain
// (management-pin.ts).
import crypto from "node:crypto";
import type pg from "pg";
import { generateRealmKey } from "../realm/keys.ts";
import { managementVouchPayload, sign } from "./signing.ts";
import type { ManagementKeyEntry } from "./management-pin.ts";

/** How long the previous management key stays listed after a rotation. */
export const MANAGEMENT_KEY_OVERLAP_MS = 24 * 3_600_000;

export interface ManagementKeyMaterial {
  id: string;
  fingerprint: string;
  publicKeyPem: string;
  privateKeyPem: string;
  certPem: string;
  tlsFingerprint: string;
}

type Db = pg.Pool | pg.PoolClient;

const CURRENT = `FROM management_keys k JOIN management_key_secrets s ON s."keyId" = k.id
  WHERE k."revokedAt" IS NULL AND (k."validUntil" IS NULL OR k."validUntil" > now())`;

/** The newest valid key (the one served on TLS), or null when there is none yet. */
export async function currentManagementKey(db: Db): Promise<ManagementKeyMaterial | null> {
  const r = await db.query<ManagementKeyMaterial>(
    `SELECT k.id, k.fingerprint, k."publicKeyPem", s."privateKeyPem", k."tlsCertPem" AS "certPem", k."tlsFingerprint"
       ${CURRENT} ORDER BY k."validFrom" DESC LIMIT 1`,
  );
  return r.rows[0] ?? null;
}

async function insertKey(
  c: pg.PoolClient,
  host: string,
  previous: ManagementKeyMaterial | null,
): Promise<ManagementKeyMaterial> {
  const k = await generateRealmKey("management-server", host);
  const id = crypto.randomUUID();
  await c.query(
    `INSERT INTO management_keys (id, "publicKeyPem", fingerprint, "tlsCertPem", "tlsFingerprint", "vouchedBy", vouch, "validFrom")
     VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp())`,
    [
      id,
      k.publicKeyPem,
      k.fingerprint,
      k.certPem,
      k.tlsFingerprint,
      previous?.fingerprint ?? null,
      previous ? sign(previous.privateKeyPem, managementVouchPayload(k.fingerprint)) : null,
    ],
  );
  await c.query(`INSERT INTO management_key_secrets ("keyId", "privateKeyPem") VALUES ($1, $2)`, [id, k.privateKeyPem]);
  return {
    id,
    fingerprint: k.fingerprint,
    publicKeyPem: k.publicKeyPem,
    privateKeyPem: k.privateKeyPem,
    certPem: k.certPem,
    tlsFingerprint: k.tlsFingerprint,
  };
}

async function locked<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    // One key maker at a time, across management daemon instances and the console.
    await c.query("SELECT pg_advisory_xact_lock(hashtext('management-key'))");
    const out = await fn(c);
    await c.query("COMMIT");
    return out;
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

/** The current key, made on first start. Safe when several instances start at once. */
export async function ensureManagementKey(pool: pg.Pool, host = "localhost"): Promise<ManagementKeyMaterial> {
  const have = await currentManagementKey(pool);
  if (have) return have;
  return locked(pool, async (c) => (await currentManagementKey(c)) ?? insertKey(c, host, null));
}

/** Every valid management key with its vouch, newest first (the `managementkeys` answer). */
export async function listManagementKeys(db: Db): Promise<ManagementKeyEntry[]> {
  const r = await db.query<ManagementKeyEntry>(
    `SELECT k.fingerprint, k."publicKeyPem", k."validFrom", k."validUntil", k."vouchedBy", k.vouch
       FROM management_keys k WHERE k."revokedAt" IS NULL AND (k."validUntil" IS NULL OR k."validUntil" > now())
      ORDER BY k."validFrom" DESC`,
  );
  return r.rows;
}
