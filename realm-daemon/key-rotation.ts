// An operator asked for a new realm key (console → NOTIFY og_realm_key_rotate). One daemon
// instance makes it: the advisory lock picks one, and the request time makes a second instance
// that gets the lock afterwards see the work is done. With federation the new key is published
// to the management server first (the old one stays valid for the overlap window); either way
// every instance is told to reload, and new connections get the new certificate.
import { generateRealmKey, storeRotatedKey, KEY_OVERLAP_MS } from "../lib/realm/keys.ts";
import { tx } from "../lib/db/tx.ts";
import { notify, CHANNELS } from "../lib/db/notify.ts";
import type { RealmDaemon } from "./daemon.ts";

export interface RotationRequest {
  realmId: string;
  requestedAt: string;
}

export async function handleRotationRequest(d: RealmDaemon, req: RotationRequest): Promise<boolean> {
  const realm = d.realmById(req.realmId);
  if (!realm || realm.status !== "ACTIVE") return false;
  const c = await d.db.pool.connect();
  const lock = `realm-key-rotate:${req.realmId}`;
  try {
    const got = await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [lock]);
    if (!got.rows[0].ok) return false; // another instance is on it
    try {
      const cur = await c.query<{ newest: Date | null }>(
        `SELECT max("validFrom") AS newest FROM realm_keys WHERE "realmId" = $1 AND "revokedAt" IS NULL`,
        [req.realmId],
      );
      if (cur.rows[0].newest && cur.rows[0].newest >= new Date(req.requestedAt)) return false; // already rotated for this request
      if (d.federation?.servesRealm(req.realmId)) {
        await d.federation.rotateKey(req.realmId);
      } else {
        const k = await generateRealmKey(req.realmId, realm.host);
        await tx(d.db.pool, (t) => storeRotatedKey(t, k, new Date(Date.now() + KEY_OVERLAP_MS)));
        d.log.info({ realm: req.realmId, fingerprint: k.fingerprint }, "realm key rotated");
      }
      await notify(d.db.pool, CHANNELS.realm, req.realmId);
      return true;
    } finally {
      await c.query("SELECT pg_advisory_unlock(hashtext($1))", [lock]);
    }
  } finally {
    c.release();
  }
}
