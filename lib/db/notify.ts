// Change notifications between the console (Next.js) and the daemons, over PostgreSQL
// LISTEN/NOTIFY, so every daemon instance on the same database sees a change within a second
// without a restart. NOTIFY inside a transaction is delivered at commit.
import type pg from "pg";
import type { PrismaClient } from "../generated/prisma/client.ts";

export const CHANNELS = {
  /** payload: realm id — realm created, edited, disabled, deleted */
  realm: "og_realm_changed",
  /** payload: user id — suspended, reactivated, quota/permissions changed, password reset */
  user: "og_user_changed",
  /**
   * payload: JSON {realmId, userId, computer, messageId} — a message became available — or, from a
   * group-commit batch, {origin, d: [such deliveries]} (one NOTIFY per chunk of a batch)
   */
  message: "og_message_available",
  /** payload: JSON — immediate message routed to whichever instance holds the computer */
  imessage: "og_imessage",
  /**
   * payload: JSON — a subscribed-to thing changed: {k:"status", u, c} (a computer came or
   * went), {k:"setting", u, c, key}, or {k:"direct", to, line} (one subscriber told directly)
   */
  subscription: "og_subscription",
  /** payload: JSON — a channel packet to relay ({k:"packet", id, ch}) or a membership change */
  channel: "og_channel",
  /** payload: JSON {workspaceId, seq} — a workspace change was sealed */
  workspace: "og_workspace_change",
  /** payload: JSON {realmId, requestedAt} — an operator asked for a new realm key */
  keyRotation: "og_realm_key_rotate",
  /** payload: realm id — keys or registry entries changed (management server) */
  registry: "og_registry_changed",
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

type Queryable = Pick<PrismaClient, "$executeRaw"> | pg.Pool | pg.PoolClient | pg.Client;

export async function notify(db: Queryable, channel: Channel, payload: string | object): Promise<void> {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  if ("$executeRaw" in db) await db.$executeRaw`SELECT pg_notify(${channel}, ${text})`;
  else await db.query("SELECT pg_notify($1, $2)", [channel, text]);
}
