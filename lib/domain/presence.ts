// Who is online: a presence row per logged-in computer connection, valid while the daemon
// instance holding it sends heartbeats (daemon_instances.heartbeatAt within `staleMs`).
// Immediate messages (sendimessage) go only to a computer that is online now; nothing is stored.
import { awaitImmediateDelivery, postImmediateMessage } from "./immediate-messages.ts";
import type pg from "pg";
import { hitRateLimit } from "./rate-limit.ts";
import { notifyStatus } from "./subscription-events.ts";
import { DomainError } from "./errors.ts";
import { effectiveImessageRateSql } from "./imessage-quotas.ts";

export interface PresenceRow {
  connectionId: string;
  instanceId: string;
  realmId: string;
  userId: string;
  computer: string;
}

/**
 * A computer signed in: its presence row. The instance's own row can be missing while the
 * instance is alive — a peer reaped it because a heartbeat came late (a long pause, a saturated
 * pool) — and the insert then fails on the foreign key: `reRegister` puts the instance row (and
 * its other presences) back and the insert is retried once. `reRegister` answers false when the
 * instance is stopping (its row removed on purpose): the login is refused with BUSY.
 */
export async function addPresence(pool: pg.Pool, p: PresenceRow, reRegister?: () => Promise<boolean>): Promise<void> {
  const insert = () =>
    pool.query(
      `INSERT INTO presences ("connectionId", "instanceId", "realmId", "userId", computer) VALUES ($1, $2, $3, $4, $5)`,
      [p.connectionId, p.instanceId, p.realmId, p.userId, p.computer],
    );
  try {
    await insert();
  } catch (e) {
    if (!isMissingInstance(e) || !reRegister) throw e;
    if (!(await reRegister())) throw new DomainError("BUSY", "the server is shutting down; reconnect");
    await insert();
  }
}

function isMissingInstance(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string };
  return err.code === "23503" && err.constraint === "presences_instanceId_fkey";
}

/** A computer connection ended: its presence row goes, and subscribers to its status hear of it. */
export async function endPresence(pool: pg.Pool, connectionId: string): Promise<void> {
  const r = await pool.query<{ userId: string; computer: string }>(
    `DELETE FROM presences WHERE "connectionId" = $1 RETURNING "userId", computer`,
    [connectionId],
  );
  for (const p of r.rows) await notifyStatus(pool, p.userId, p.computer);
}

/** The computers of a user connected now, on any instance, sorted. */
export async function onlineComputers(pool: pg.Pool, userId: string, staleMs: number): Promise<string[]> {
  const r = await pool.query<{ computer: string }>(
    `SELECT DISTINCT p.computer FROM presences p JOIN daemon_instances d ON d.id = p."instanceId"
      WHERE p."userId" = $1 AND d."heartbeatAt" > now() - $2 * interval '1 millisecond' ORDER BY 1`,
    [userId, staleMs],
  );
  return r.rows.map((x) => x.computer);
}

export interface Imessage {
  from: { userId: string; fullId: string; computer: string };
  to: { userId: string; computer: string };
  body: string;
  staleMs: number;
  /** How long the holding instance may take to accept the message before the answer is NOSUCHCOMPUTER. */
  confirmMs: number;
}

export type ImessageOutcome =
  | { sent: true }
  | { sent: false; offline: true }
  | { sent: false; offline: false; ratePerMinute: number; retryAfterMs: number };

/**
 * Sends an immediate message to a computer that is online now, within the recipient's rate
 * for this sender (per minute: its setimessagequota for the sender or its default, never above
 * the operator's rate for the account or the realm).
 */
export async function sendImessage(pool: pg.Pool, m: Imessage): Promise<ImessageOutcome> {
  // The recipient's quota for this sender (setimessagequota) within the operator's ceiling.
  const rate = await pool.query<{ rate: number }>(
    `SELECT ${effectiveImessageRateSql("$2")} AS rate FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1`,
    [m.to.userId, m.from.userId],
  );
  const online = await pool.query(
    `SELECT 1 FROM presences p JOIN daemon_instances d ON d.id = p."instanceId" WHERE p."userId" = $1 AND p.computer = $2 AND d."heartbeatAt" > now() - $3 * interval '1 millisecond' LIMIT 1`,
    [m.to.userId, m.to.computer, m.staleMs],
  );
  if (!online.rowCount) return { sent: false, offline: true };
  const ratePerMinute = rate.rows[0].rate;
  const limit = await hitRateLimit(pool, `im:${m.to.userId}:${m.from.userId}`, ratePerMinute, 60_000);
  if (!limit.allowed) return { sent: false, offline: false, ratePerMinute, retryAfterMs: limit.retryAfterMs };
  // Stored, and only its id notified: the size does not depend on the NOTIFY payload limit.
  const id = await postImmediateMessage(pool, {
    userId: m.to.userId,
    computer: m.to.computer,
    fromUserId: m.from.fullId,
    fromComputer: m.from.computer,
    body: m.body,
  });
  // OK only once the instance holding the recipient took it: a presence whose instance died
  // (not yet reaped) would otherwise swallow the message.
  if (!(await awaitImmediateDelivery(pool, id, m.confirmMs))) return { sent: false, offline: true };
  return { sent: true };
}
