// Who a realm-user session belongs to, checked against the database (no next-auth imports, so
// the integration tests call it directly).
import type pg from "pg";
import type { Principal } from "../auth/principal.ts";

export interface RealmUser {
  userId: string;
  realmId: string;
  username: string;
  /** realm id + "::" + username */
  fullId: string;
  realmSlug: string;
  realmName: string;
}

/** The realm user for a session principal, or null: not a realm user, gone, suspended, signed out, realm disabled. */
export async function loadRealmUser(pool: pg.Pool, principal: Principal | undefined): Promise<RealmUser | null> {
  if (principal?.kind !== "realm-user") return null;
  const r = await pool.query<{
    id: string;
    username: string;
    status: string;
    sessionEpoch: number;
    realmId: string;
    slug: string;
    name: string;
    realmStatus: string;
  }>(
    `SELECT u.id, u.username, u.status, u."sessionEpoch", r.id AS "realmId", r.slug, r.name, r.status AS "realmStatus"
       FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1`,
    [principal.userId],
  );
  const u = r.rows[0];
  if (
    !u ||
    u.realmId !== principal.realmId ||
    u.status !== "ACTIVE" ||
    u.realmStatus !== "ACTIVE" ||
    u.sessionEpoch !== principal.sessionEpoch
  )
    return null;
  return {
    userId: u.id,
    realmId: u.realmId,
    username: u.username,
    fullId: `${u.realmId}::${u.username}`,
    realmSlug: u.slug,
    realmName: u.name,
  };
}
