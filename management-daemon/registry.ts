// The management server's registry rules: enrollment (token or pending approval), proof of key
// possession, heartbeats, key rotation with an overlap window, lookups. All checks that decide
// trust read the database at the moment of the request, so a revocation in the console is
// effective on the next request.
import crypto from "node:crypto";
import type pg from "pg";
import { CHANNELS, notify } from "../lib/db/notify.ts";
import { DomainError } from "../lib/domain/errors.ts";
import { hitRateLimit } from "../lib/domain/rate-limit.ts";
import { tx } from "../lib/db/tx.ts";
import { hashCode } from "../lib/domain/registration.ts";
import { publicKeyFingerprint, certFingerprint } from "../lib/realm/keys.ts";
import { anyProofValid, verify, type Proof } from "../lib/federation/signing.ts";
import type { RegistryRecord, RegistryStatus } from "../lib/federation/registry-wire.ts";
import type { RegistrationMode } from "../lib/generated/prisma/enums.ts";

export const REALM_ID = /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/;

export interface RealmMetadata {
  address: string;
  name: string;
  description: string;
  registrationMode: RegistrationMode;
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

/** Where a registry request came from: for the audit log and the TLS-only token rule. */
export interface Channel {
  tls: boolean;
  ip: string;
  /** Pending enrollments (new realm without a token, key claim) this address may leave per hour. */
  pendingPerHour: number;
}

/**
 * Counts one pending enrollment against the source address; RATELIMITED past the hourly
 * allowance (so one address cannot fill the administrator's queue with made-up realms).
 */
async function countPending(c: pg.PoolClient, channel: Channel): Promise<void> {
  const r = await hitRateLimit(c, `enroll-pending:${channel.ip || "unknown"}`, channel.pendingPerHour, 3_600_000);
  if (!r.allowed)
    throw new DomainError(
      "RATELIMITED",
      `too many enrollments waiting for an administrator from your address; try again in ${Math.ceil(r.retryAfterMs / 60_000)} min or ask the operator for an enrollment token`,
    );
}

/** A registry event in audit_log (console's audit view), written by the management server itself. */
export async function auditRegistry(
  db: pg.Pool | pg.PoolClient,
  action: string,
  realmId: string,
  details: Record<string, unknown>,
  ip: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO audit_log ("actorLabel", action, "targetType", "targetId", after, ip) VALUES ('management-server', $1, 'known-realm', $2, $3, $4)`,
    [action, realmId, JSON.stringify(details), ip],
  );
}

/**
 * Enrollment. A new realm with a valid token (or one hosted by this same install, proven by its
 * key) is APPROVED at once; otherwise it is PENDING until an administrator approves it in the
 * console. A known realm re-enrolling with one of its keys just refreshes its metadata (and is
 * approved if it brings a token while pending). A known realm presenting a key the registry does
 * not know never replaces anything, token or not: the key becomes a claim (realm_key_claims)
 * that an administrator accepts or rejects in the console with both fingerprints in view; the
 * realm's keys, status and address stay as they are. Tokens are taken only over TLS.
 */
export async function enroll(
  pool: pg.Pool,
  realmId: string,
  key: PresentedKey,
  token: string,
  meta: RealmMetadata,
  channel: Channel,
): Promise<RegistryStatus> {
  if (!REALM_ID.test(realmId)) throw new DomainError("BADARGUMENTS", "realm: expected host:port");
  if (token && !channel.tls)
    throw new DomainError(
      "NOTALLOWED",
      "enrollment tokens are accepted only over TLS (this management port runs plain TCP)",
    );
  return tx(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`known-realm:${realmId}`]);
    const cur = await c.query<{ status: RegistryStatus }>(
      `SELECT status FROM known_realms WHERE "realmId" = $1 FOR UPDATE`,
      [realmId],
    );
    if (cur.rows[0]) {
      if (cur.rows[0].status === "REVOKED")
        throw new DomainError("UNAUTHORIZED", `realm ${realmId} is revoked by the management server's administrator`);
      const known = await c.query(
        `SELECT 1 FROM known_realm_keys WHERE "realmId" = $1 AND fingerprint = $2 AND "revokedAt" IS NULL`,
        [realmId, key.fingerprint],
      );
      if (!known.rowCount) {
        await countPending(c, channel);
        await claimKey(c, realmId, key, meta.address, channel.ip);
        return "PENDING";
      }
    }
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
      if (!tokenOk) await countPending(c, channel);
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
      status = tokenOk ? "APPROVED" : cur.rows[0].status;
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

/** An unknown key for a known realm: recorded (once) for an administrator; nothing else changes. */
async function claimKey(c: pg.PoolClient, realmId: string, key: PresentedKey, address: string, ip: string) {
  const r = await c.query(
    `INSERT INTO realm_key_claims (id, "realmId", "publicKeyPem", fingerprint, "tlsFingerprint", address, "remoteIp")
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ("realmId", fingerprint) DO NOTHING`,
    [crypto.randomUUID(), realmId, key.publicKeyPem, key.fingerprint, key.tlsFingerprint, address, ip],
  );
  if (r.rowCount) {
    const current = await c.query<{ fingerprint: string }>(
      `SELECT fingerprint FROM known_realm_keys WHERE "realmId" = $1 AND "revokedAt" IS NULL AND ("validUntil" IS NULL OR "validUntil" > now())`,
      [realmId],
    );
    await auditRegistry(
      c,
      "federation.key-claim",
      realmId,
      { presented: key.fingerprint, current: current.rows.map((x) => x.fingerprint), address },
      ip,
    );
    await notify(c, CHANNELS.registry, realmId);
  }
}

/** Checks a realm's proof against its currently valid keys. */
export async function authenticateRealm(
  pool: pg.Pool,
  realmId: string,
  proofs: Proof[],
  payload: Buffer,
  ip: string | null = null,
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
  if (!anyProofValid(keys.rows, proofs, payload)) {
    // A relayed or replayed proof (signed over another TLS channel or challenge) lands here.
    await auditRegistry(pool, "federation.auth-refused", realmId, { reason: "no proof verifies" }, ip);
    throw new DomainError("BADAUTH", `no proof verifies with a valid key of realm ${realmId} on this connection`);
  }
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

/** Records a heartbeat and the realm's metadata; true when its address changed. */
export async function heartbeat(pool: pg.Pool, realmId: string, meta: RealmMetadata): Promise<boolean> {
  const r = await pool.query<{ moved: boolean }>(
    `UPDATE known_realms k SET "lastHeartbeatAt" = now(), name = $2, description = $3, "registrationMode" = $4, "captchaRequired" = $5, "signupUrl" = $6, address = $7
       FROM (SELECT address FROM known_realms WHERE "realmId" = $1 FOR UPDATE) old
      WHERE k."realmId" = $1 RETURNING old.address IS DISTINCT FROM k.address AS moved`,
    [realmId, meta.name, meta.description, meta.registrationMode, meta.captchaRequired, meta.signupUrl, meta.address],
  );
  return r.rows[0]?.moved ?? false;
}

/**
 * Publishes a new key; every other key stays valid for the overlap window only. The new key must
 * be vouched for by a key that is current for the realm (`vouches` over `vouchPayload`): being
 * authenticated is not enough, so a session taken over on the path cannot swap the key. A key
 * already published (a realm resuming a rotation after a crash) answers with the current overlap.
 */
export async function rotateKey(
  pool: pg.Pool,
  realmId: string,
  key: PresentedKey,
  vouches: Proof[],
  vouchPayload: Buffer,
  overlapMs: number,
  ip: string | null,
): Promise<Date> {
  const until = await tx(pool, async (c): Promise<Date | null> => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`known-realm:${realmId}`]);
    const current = await c.query<{ fingerprint: string; publicKeyPem: string; validUntil: Date | null }>(
      `SELECT fingerprint, "publicKeyPem", "validUntil" FROM known_realm_keys WHERE "realmId" = $1 AND "revokedAt" IS NULL AND ("validUntil" IS NULL OR "validUntil" > now())`,
      [realmId],
    );
    const voucher = anyProofValid(
      current.rows.filter((k) => k.fingerprint !== key.fingerprint),
      vouches,
      vouchPayload,
    );
    const dup = current.rows.find((k) => k.fingerprint === key.fingerprint);
    if (!voucher) {
      await auditRegistry(
        c,
        "federation.rotate-refused",
        realmId,
        { presented: key.fingerprint, reason: "not vouched for by a current key of the realm" },
        ip,
      );
      return null; // committed with its audit row; refused below
    }
    if (dup) {
      const others = current.rows.filter((k) => k.fingerprint !== key.fingerprint && k.validUntil);
      return others.length
        ? new Date(Math.max(...others.map((k) => k.validUntil!.getTime())))
        : new Date(Date.now() + overlapMs);
    }
    const old = await c.query(`SELECT 1 FROM known_realm_keys WHERE "realmId" = $1 AND fingerprint = $2`, [
      realmId,
      key.fingerprint,
    ]);
    if (old.rowCount) throw new DomainError("ALREADYEXISTS", "this key was already published; generate a new one");
    await insertKey(c, realmId, key);
    const retiredUntil = await retireOtherKeys(c, realmId, key.fingerprint, overlapMs);
    await auditRegistry(
      c,
      "federation.key-rotated",
      realmId,
      { fingerprint: key.fingerprint, vouchedBy: voucher.fingerprint, oldValidUntil: retiredUntil.toISOString() },
      ip,
    );
    await notify(c, CHANNELS.registry, realmId);
    return retiredUntil;
  });
  if (!until)
    throw new DomainError("BADAUTH", "rotatekey: the new key must be signed (vouch=) by a current key of this realm");
  return until;
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
