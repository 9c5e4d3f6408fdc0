// The management server's registry rules: enrollment (token or pending approval), proof of key
// possession, heartbeats, key rotation with an overlap window, lookups. All checks that decide
// trust read the database at the moment of the request, so a revocation in the console is
// effective on the next request.
import crypto from "node:crypto";
import type pg from "pg";
import { CHANNELS, notify } from "../lib/db/notify.ts";
import { DomainError } from "../lib/domain/errors.ts";
import { tx } from "../lib/db/tx.ts";
import { hashCode } from "../lib/domain/registration.ts";
import { publicKeyFingerprint, certFingerprint } from "../lib/realm/keys.ts";
import { anyProofValid, verify, type Proof } from "../lib/federation/signing.ts";
import type { RegistryRecord, RegistryStatus } from "../lib/federation/registry-wire.ts";

export const REALM_ID = /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/;

export interface RealmMetadata {
  address: string;
  name: string;
  description: string;
  registrationMode: "OPEN" | "INVITE" | "CLOSED";
  captchaRequired: boolean;
  signupUrl: string;
}

export interface PresentedKey {
  publicKeyPem: string;
  fingerprint: string;
  tlsFingerprint: string | null;
}

/** Parses a presented public key (and optional certificate, which must carry the same key). */
export function presentedKey(publicKeyPem: string, certPem: string): PresentedKey {
  let fingerprint: string;
  try {
    const k = crypto.createPublicKey(publicKeyPem);
    if (k.asymmetricKeyType !== "ec" || k.asymmetricKeyDetails?.namedCurve !== "prime256v1")
      throw new Error("not P-256");
    fingerprint = publicKeyFingerprint(publicKeyPem);
  } catch {
    throw new DomainError("BADARGUMENTS", "key: expected an ECDSA P-256 public key in PEM form");
  }
  let tlsFingerprint: string | null = null;
  if (certPem) {
    try {
      const cert = new crypto.X509Certificate(certPem);
      if (publicKeyFingerprint(cert.publicKey.export({ type: "spki", format: "pem" }).toString()) !== fingerprint)
        throw new Error("other key");
      tlsFingerprint = certFingerprint(certPem);
    } catch {
      throw new DomainError("BADARGUMENTS", "cert: not a certificate for the presented key");
    }
  }
  return { publicKeyPem, fingerprint, tlsFingerprint };
}

export function checkPossession(key: PresentedKey, payload: Buffer, signature: string): void {
  if (!verify(key.publicKeyPem, payload, signature))
    throw new DomainError("BADAUTH", "the proof does not verify with the presented key");
}

async function useToken(c: pg.PoolClient, token: string, realmId: string): Promise<boolean> {
  const r = await c.query(
    `UPDATE enrollment_tokens SET "usedAt" = now() WHERE "tokenHash" = $1 AND "usedAt" IS NULL AND "expiresAt" > now() AND ("realmId" IS NULL OR "realmId" = $2) RETURNING id`,
    [hashCode(token), realmId],
  );
  return (r.rowCount ?? 0) > 0;
}

async function insertKey(c: pg.PoolClient, realmId: string, k: PresentedKey): Promise<void> {
  await c.query(
    `INSERT INTO known_realm_keys (id, "realmId", "publicKeyPem", fingerprint, "tlsFingerprint") VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT ("realmId", fingerprint) DO NOTHING`,
    [crypto.randomUUID(), realmId, k.publicKeyPem, k.fingerprint, k.tlsFingerprint],
  );
}

/** Retires every other key of the realm: valid for `overlapMs` more (never extends an earlier end). */
async function retireOtherKeys(c: pg.PoolClient, realmId: string, keep: string, overlapMs: number): Promise<Date> {
  const until = new Date(Date.now() + overlapMs);
  await c.query(
    `UPDATE known_realm_keys SET "validUntil" = LEAST(COALESCE("validUntil", $3), $3)
      WHERE "realmId" = $1 AND fingerprint <> $2 AND "revokedAt" IS NULL`,
    [realmId, keep, until],
  );
  return until;
}

/**
 * Enrollment. A new realm with a valid token (or one hosted by this same install, proven by its
 * key) is APPROVED at once; otherwise it is PENDING until an administrator approves it in the console. A known realm re-enrolling with one of its
 * keys just refreshes its metadata (and is approved if it brings a token while pending).
 */
export async function enroll(
  pool: pg.Pool,
  realmId: string,
  key: PresentedKey,
  token: string,
  meta: RealmMetadata,
  overlapMs: number,
): Promise<RegistryStatus> {
  if (!REALM_ID.test(realmId)) throw new DomainError("BADARGUMENTS", "realm: expected host:port");
  return tx(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`known-realm:${realmId}`]);
    const cur = await c.query<{ status: RegistryStatus }>(
      `SELECT status FROM known_realms WHERE "realmId" = $1 FOR UPDATE`,
      [realmId],
    );
    let tokenOk = token ? await useToken(c, token, realmId) : false;
    if (token && !tokenOk)
      throw new DomainError(
        "BADINVITE",
        "the enrollment token is invalid, already used, expired or meant for another realm",
      );
    // Same install: when the management server shares its database with the realm daemon, a
    // realm hosted here that proves possession of the very key recorded for it in realm_keys
    // is this operator's own realm and needs no token. (Separate databases: no such row.)
    if (!tokenOk) {
      const local = await c.query(
        `SELECT 1 FROM realm_keys WHERE "realmId" = $1 AND fingerprint = $2 AND "revokedAt" IS NULL`,
        [realmId, key.fingerprint],
      );
      tokenOk = (local.rowCount ?? 0) > 0;
    }
    let status: RegistryStatus;
    if (!cur.rows[0]) {
      status = tokenOk ? "APPROVED" : "PENDING";
      await c.query(
        `INSERT INTO known_realms ("realmId", name, description, "registrationMode", "captchaRequired", "signupUrl", address, status, "lastHeartbeatAt")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
        [
          realmId,
          meta.name,
          meta.description,
          meta.registrationMode,
          meta.captchaRequired,
          meta.signupUrl,
          meta.address,
          status,
        ],
      );
      await insertKey(c, realmId, key);
    } else {
      status = cur.rows[0].status;
      if (status === "REVOKED")
        throw new DomainError("UNAUTHORIZED", `realm ${realmId} is revoked by the management server's administrator`);
      const known = await c.query(
        `SELECT 1 FROM known_realm_keys WHERE "realmId" = $1 AND fingerprint = $2 AND "revokedAt" IS NULL`,
        [realmId, key.fingerprint],
      );
      if (!known.rowCount) {
        if (!tokenOk)
          throw new DomainError(
            "UNAUTHORIZED",
            `realm ${realmId} is already enrolled with another key: authenticate with that key and rotate, or ask the administrator for an enrollment token`,
          );
        await insertKey(c, realmId, key);
        await retireOtherKeys(c, realmId, key.fingerprint, overlapMs);
      }
      if (tokenOk) status = "APPROVED";
      await c.query(
        `UPDATE known_realms SET status = $2, name = $3, description = $4, "registrationMode" = $5, "captchaRequired" = $6, "signupUrl" = $7, address = $8, "lastHeartbeatAt" = now()
          WHERE "realmId" = $1`,
        [
          realmId,
          status,
          meta.name,
          meta.description,
          meta.registrationMode,
          meta.captchaRequired,
          meta.signupUrl,
          meta.address,
        ],
      );
    }
    await notify(c, CHANNELS.registry, realmId);
    return status;
  });
}

/** Checks a realm's proof against its currently valid keys. */
export async function authenticateRealm(
  pool: pg.Pool,
  realmId: string,
  proofs: Proof[],
  payload: Buffer,
): Promise<void> {
  const r = await pool.query<{ status: RegistryStatus }>(`SELECT status FROM known_realms WHERE "realmId" = $1`, [
    realmId,
  ]);
  const status = r.rows[0]?.status;
  if (!status) throw new DomainError("NOSUCHREALM", `realm ${realmId} is not enrolled; enroll it first`);
  if (status === "REVOKED")
    throw new DomainError("UNAUTHORIZED", `realm ${realmId} is revoked by the management server's administrator`);
  const keys = await pool.query<{ fingerprint: string; publicKeyPem: string }>(
    `SELECT fingerprint, "publicKeyPem" FROM known_realm_keys WHERE "realmId" = $1 AND "revokedAt" IS NULL AND ("validUntil" IS NULL OR "validUntil" > now())`,
    [realmId],
  );
  if (!anyProofValid(keys.rows, proofs, payload))
    throw new DomainError("BADAUTH", `no proof verifies with a valid key of realm ${realmId}`);
  if (status === "PENDING")
    throw new DomainError("NOTALLOWED", `realm ${realmId} is waiting for an administrator's approval`);
}

/** Status of an authenticated realm, read on every request so revocation takes effect at once. */
export async function realmStatus(pool: pg.Pool, realmId: string): Promise<RegistryStatus | null> {
  const r = await pool.query<{ status: RegistryStatus }>(`SELECT status FROM known_realms WHERE "realmId" = $1`, [
    realmId,
  ]);
  return r.rows[0]?.status ?? null;
}

export async function heartbeat(pool: pg.Pool, realmId: string, meta: RealmMetadata): Promise<void> {
  await pool.query(
    `UPDATE known_realms SET "lastHeartbeatAt" = now(), name = $2, description = $3, "registrationMode" = $4, "captchaRequired" = $5, "signupUrl" = $6, address = $7 WHERE "realmId" = $1`,
    [realmId, meta.name, meta.description, meta.registrationMode, meta.captchaRequired, meta.signupUrl, meta.address],
  );
}

/** Publishes a new key; every other key stays valid for the overlap window only. */
export async function rotateKey(pool: pg.Pool, realmId: string, key: PresentedKey, overlapMs: number): Promise<Date> {
  return tx(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`known-realm:${realmId}`]);
    const dup = await c.query(`SELECT "revokedAt" FROM known_realm_keys WHERE "realmId" = $1 AND fingerprint = $2`, [
      realmId,
      key.fingerprint,
    ]);
    if (dup.rows[0]) throw new DomainError("ALREADYEXISTS", "this key was already published; generate a new one");
    await insertKey(c, realmId, key);
    const until = await retireOtherKeys(c, realmId, key.fingerprint, overlapMs);
    await notify(c, CHANNELS.registry, realmId);
    return until;
  });
}

export async function lookup(pool: pg.Pool, realmId: string): Promise<RegistryRecord | null> {
  const r = await pool.query<{ status: RegistryStatus; address: string }>(
    `SELECT status, address FROM known_realms WHERE "realmId" = $1`,
    [realmId],
  );
  const row = r.rows[0];
  if (!row) return null;
  const keys =
    row.status === "APPROVED"
      ? (
          await pool.query<{ fingerprint: string; publicKeyPem: string; validFrom: Date; validUntil: Date | null }>(
            `SELECT fingerprint, "publicKeyPem", "validFrom", "validUntil" FROM known_realm_keys
              WHERE "realmId" = $1 AND "revokedAt" IS NULL AND ("validUntil" IS NULL OR "validUntil" > now()) ORDER BY "validFrom" DESC`,
            [realmId],
          )
        ).rows
      : [];
  return { realmId, status: row.status, address: row.address, keys };
}
