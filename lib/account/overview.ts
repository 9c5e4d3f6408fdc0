// What the account page shows: storage used against the quota (with its breakdown) and the
// user's computers, with whether each is connected right now.
import type pg from "pg";
import { getQuotas, type Quotas } from "../domain/quota.ts";

export interface AccountComputer {
  name: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  online: boolean;
}

export interface AccountOverview {
  quotas: Quotas;
  computers: AccountComputer[];
  canMessageOtherRealms: boolean;
}

export async function getAccountOverview(pool: pg.Pool, userId: string): Promise<AccountOverview | null> {
  const quotas = await getQuotas(pool, userId);
  if (!quotas) return null;
  const c = await pool.query<{ name: string; createdAt: Date; lastSeenAt: Date | null; online: boolean }>(
    `SELECT c.name, c."createdAt", c."lastSeenAt",
            EXISTS (SELECT 1 FROM presences p JOIN daemon_instances d ON d.id = p."instanceId"
                     WHERE p."userId" = c."userId" AND p.computer = c.name AND d."heartbeatAt" > now() - interval '2 minutes') AS online
       FROM computers c WHERE c."userId" = $1 ORDER BY c."createdAt", c.name`,
    [userId],
  );
  const u = await pool.query<{ canMessageOtherRealms: boolean }>(
    `SELECT "canMessageOtherRealms" FROM users WHERE id = $1`,
    [userId],
  );
  return { quotas, computers: c.rows, canMessageOtherRealms: u.rows[0]?.canMessageOtherRealms ?? false };
}
