// Shared workspaces, membership side: create, invite, accept, leave, remove, list, resync.
// The change log itself (publish, pull, ack) is in workspace-changes.ts; freeing acked changes
// and the inactivity sweep in workspace-gc.ts.
//
// Locking: every operation that changes who pins a workspace's changes (membership, cursors)
// locks the workspace row FOR NO KEY UPDATE first, then change rows, then user rows (quota).
// NO KEY UPDATE (not FOR UPDATE) so that inserting changes, whose foreign key takes FOR KEY
// SHARE on the workspace, is never blocked by it.
//
// Members are full user ids (realm::username). A member of this realm has `userId` set and its
// computers are this realm's `computers` rows; a member of another realm (userId null) is
// tracked by that realm through federation (one cursor per remote member, computer ""), which
// keeps a mirror of the workspace (workspace-federation.ts).
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { type Caller } from "./messages.ts";
import { tx } from "../db/tx.ts";
import { foldUsername, parseUserId } from "./usernames.ts";
import { canMessageOtherRealms } from "./accounts.ts";
import { dropOpenChanges, freeAcked, type Freed } from "./workspace-gc.ts";
import { queueWorkspaceEvent, realmOf } from "./workspace-federation.ts";
import { CHANNELS } from "../db/notify.ts";
import { named } from "../db/named.ts";
import type { WorkspaceMemberStatus as MemberStatus, WorkspaceRole } from "../generated/prisma/enums.ts";

export { type Caller };

export const WORKSPACE_LIMITS = {
  maxNameLength: 200,
  /** Stored block size of change data: block n covers bytes [n*B, (n+1)*B). */
  blockBytes: 65536,
} as const;

export type { MemberStatus, WorkspaceRole };
type Queryable = pg.Pool | pg.PoolClient;

export interface Membership {
  workspaceId: string;
  name: string;
  creatorId: string;
  head: bigint;
  role: WorkspaceRole;
  status: MemberStatus;
  suspendedAt: Date | null;
  inactivityDays: number;
  /** The realm's maxWorkspaceChangeBytes. */
  maxChangeBytes: bigint;
  /** Set when this row mirrors a workspace of another realm (its home realm). */
  homeRealmId: string | null;
}

/** The caller's membership row (any status), or NOSUCHWORKSPACE. `lock` takes the workspace lock. */
export async function membership(
  db: Queryable,
  workspaceId: string,
  caller: Caller,
  lock = false,
): Promise<Membership> {
  const r = await db.query<{
    name: string;
    creatorId: string;
    nextSeq: bigint;
    role: WorkspaceRole;
    status: MemberStatus;
    suspendedAt: Date | null;
    days: number;
    maxBytes: bigint;
    homeRealmId: string | null;
  }>(
    `SELECT w.name, w."creatorId", w."nextSeq", w."homeRealmId", m.role, m.status, m."suspendedAt", COALESCE(w."inactivityDays", r."workspaceInactivityDays") AS days,
            r."maxWorkspaceChangeBytes" AS "maxBytes"
       FROM workspaces w JOIN realms r ON r.id = w."realmId"
       JOIN workspace_members m ON m."workspaceId" = w.id AND m."memberId" = $2
      WHERE w.id = $1 AND w."realmId" = $3 ${lock ? `FOR NO KEY UPDATE OF w` : ""}`,
    [workspaceId, caller.fullId, caller.realmId],
  );
  const m = r.rows[0];
  if (!m) throw new DomainError("NOSUCHWORKSPACE", `No workspace ${workspaceId} (or you are not a member).`);
  return {
    workspaceId,
    name: m.name,
    creatorId: m.creatorId,
    head: BigInt(m.nextSeq) - 1n,
    role: m.role,
    status: m.status,
    suspendedAt: m.suspendedAt,
    inactivityDays: m.days,
    maxChangeBytes: BigInt(m.maxBytes),
    homeRealmId: m.homeRealmId,
  };
}

/** The refusal a non-active member gets; SUSPENDED gets a notice that says how to come back. */
export function notActive(m: Membership): DomainError {
  switch (m.status) {
    case "SUSPENDED":
      return new DomainError(
        "UNAUTHORIZED",
        `suspended: you were suspended from workspace "${m.name}" on ${m.suspendedAt?.toISOString().slice(0, 10) ?? "?"} after more than ${m.inactivityDays} days without syncing, so changes no longer wait for you; run workspaceresync to rejoin at the current head (seq ${m.head})`,
      );
    case "INVITED":
      return new DomainError(
        "UNAUTHORIZED",
        `you are invited to workspace "${m.name}" but have not accepted yet (workspaceaccept)`,
      );
    case "REMOVED":
      return new DomainError("UNAUTHORIZED", `removed: you were removed from workspace "${m.name}"`);
    default:
      return new DomainError("UNAUTHORIZED", `you left workspace "${m.name}"`);
  }
}

export async function requireActive(
  db: Queryable,
  workspaceId: string,
  caller: Caller,
  lock = false,
): Promise<Membership> {
  const m = await membership(db, workspaceId, caller, lock);
  if (m.status !== "ACTIVE") throw notActive(m);
  return m;
}

/** Sync activity: keeps the member from being suspended. Written at most once a second per member. */
export async function touchMember(db: Queryable, workspaceId: string, memberId: string): Promise<void> {
  await db.query(
    named(
      `UPDATE workspace_members SET "lastSeenAt" = now() WHERE "workspaceId" = $1 AND "memberId" = $2 AND ("lastSeenAt" IS NULL OR "lastSeenAt" < now() - interval '1 second')`,
      [workspaceId, memberId],
    ),
  );
}

/** One cursor per computer of a local member, all at `ackedSeq` (existing cursors are reset). */
async function resetCursors(
  c: pg.PoolClient,
  workspaceId: string,
  memberId: string,
  userId: string,
  ackedSeq: bigint,
  onlyComputer?: string,
): Promise<void> {
  await c.query(
    named(
      `DELETE FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2 AND ($3::text IS NULL OR computer = $3)`,
      [workspaceId, memberId, onlyComputer ?? null],
    ),
  );
  await c.query(
    named(
      `INSERT INTO workspace_cursors ("workspaceId", "memberId", computer, "ackedSeq", "updatedAt")
     SELECT $1, $2, name, $4, now() FROM computers WHERE "userId" = $3 AND ($5::text IS NULL OR name = $5)`,
      [workspaceId, memberId, userId, ackedSeq.toString(), onlyComputer ?? null],
    ),
  );
}

function notifyMember(
  c: pg.PoolClient,
  kind: "invited" | "removed" | "suspended",
  workspaceId: string,
  userId: string,
  detail = "",
): Promise<unknown> {
  return c.query(
    named(`SELECT pg_notify($1, $2)`, [CHANNELS.workspace, JSON.stringify({ kind, workspaceId, userId, detail })]),
  );
}

export async function createWorkspace(pool: pg.Pool, caller: Caller, name: string): Promise<string> {
  const clean = name.trim();
  if (!clean || clean.length > WORKSPACE_LIMITS.maxNameLength || /[\u0000-\u001f]/.test(clean))
    throw new DomainError(
      "BADARGUMENTS",
      `A workspace name has 1 to ${WORKSPACE_LIMITS.maxNameLength} characters, without control characters.`,
    );
  return tx(pool, async (c) => {
    const u = await c.query<{ canCreateWorkspaces: boolean }>(
      named(`SELECT "canCreateWorkspaces" FROM users WHERE id = $1`, [caller.userId]),
    );
    if (!u.rows[0]?.canCreateWorkspaces)
      throw new DomainError("UNAUTHORIZED", "Your account may not create workspaces; ask the realm's operator.");
    const w = await c.query<{ id: string }>(
      named(
        `INSERT INTO workspaces (id, "realmId", name, "creatorId") VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id`,
        [caller.realmId, clean, caller.fullId],
      ),
    );
    const id = w.rows[0].id;
    await c.query(
      named(
        `INSERT INTO workspace_members ("workspaceId", "memberId", "userId", role, status, "joinedAt", "lastSeenAt") VALUES ($1, $2, $3, 'OWNER', 'ACTIVE', now(), now())`,
        [id, caller.fullId, caller.userId],
      ),
    );
    await resetCursors(c, id, caller.fullId, caller.userId, 0n);
    return id;
  });
}

/** Managing a workspace of another realm from here is not supported: its home realm does that. */
export function mirrorOnly(homeRealmId: string, what: string): DomainError {
  return new DomainError(
    "UNAUTHORIZED",
    `This workspace lives on realm ${homeRealmId}; members of other realms cannot ${what} in it yet.`,
  );
}

const canManage = (m: Membership, caller: Caller) =>
  m.creatorId === caller.fullId || m.role === "OWNER" || m.role === "MANAGER";

/**
 * Invites a user of this realm or of another one (remote members are recorded now; their
 * invitation travels with federation). OWNER and MANAGER may invite; only the OWNER (or the
 * creator) may invite a MANAGER. Re-inviting someone who left or was removed is allowed.
 */
export async function inviteMember(
  pool: pg.Pool,
  caller: Caller,
  workspaceId: string,
  memberId: string,
  role: WorkspaceRole,
  opts: { maxMembers: number },
): Promise<string> {
  const p = parseUserId(memberId);
  if (!p) throw new DomainError("NOSUCHUSER", `"${memberId}" is not a user id (realm host:port::username).`);
  if (role === "OWNER")
    throw new DomainError("BADARGUMENTS", "A workspace has one owner; invite as MEMBER or MANAGER.");
  return tx(pool, async (c) => {
    const m = await requireActive(c, workspaceId, caller, true);
    if (m.homeRealmId) throw mirrorOnly(m.homeRealmId, "invite");
    if (!canManage(m, caller))
      throw new DomainError("UNAUTHORIZED", "Only the workspace's owner and managers may invite.");
    if (role === "MANAGER" && m.role !== "OWNER" && m.creatorId !== caller.fullId)
      throw new DomainError("UNAUTHORIZED", "Only the workspace's owner may invite managers.");
    let canonical = memberId;
    let userId: string | null = null;
    if (p.realmId.toLowerCase() === caller.realmId.toLowerCase()) {
      const u = await c.query<{ id: string; username: string }>(
        named(`SELECT id, username FROM users WHERE "realmId" = $1 AND "usernameKey" = $2`, [
          caller.realmId,
          foldUsername(p.username),
        ]),
      );
      if (!u.rows[0]) throw new DomainError("NOSUCHUSER", `No user ${memberId}.`);
      canonical = `${caller.realmId}::${u.rows[0].username}`;
      userId = u.rows[0].id;
    } else if (!(await canMessageOtherRealms(c, caller.userId)))
      throw new DomainError("UNAUTHORIZED", "Your account may not share with users of other realms.");
    const n = await c.query<{ n: string }>(
      named(
        `SELECT count(*) AS n FROM workspace_members WHERE "workspaceId" = $1 AND status IN ('INVITED', 'ACTIVE', 'SUSPENDED')`,
        [workspaceId],
      ),
    );
    if (Number(n.rows[0].n) >= opts.maxMembers)
      throw new DomainError("QUOTAEXCEEDED", `A workspace has at most ${opts.maxMembers} members.`);
    const r = await c.query(
      named(
        `INSERT INTO workspace_members ("workspaceId", "memberId", "userId", role, status) VALUES ($1, $2, $3, $4, 'INVITED')
       ON CONFLICT ("workspaceId", "memberId") DO UPDATE SET status = 'INVITED', role = EXCLUDED.role, "invitedAt" = now(), "joinedAt" = NULL, "suspendedAt" = NULL
        WHERE workspace_members.status IN ('LEFT', 'REMOVED')`,
        [workspaceId, canonical, userId, role],
      ),
    );
    if (!r.rowCount)
      throw new DomainError("ALREADYEXISTS", `${canonical} is already invited to or a member of this workspace.`);
    if (userId) await notifyMember(c, "invited", workspaceId, userId, m.name);
    else await queueWorkspaceEvent(c, "ws-invite", realmOf(canonical), workspaceId, canonical);
    return canonical;
  });
}

/** Accepts an invitation: the member's computers start at the current head. */
export async function acceptInvite(pool: pg.Pool, caller: Caller, workspaceId: string): Promise<bigint> {
  return tx(pool, async (c) => {
    const m = await membership(c, workspaceId, caller, true);
    if (m.status === "ACTIVE") throw new DomainError("ALREADYEXISTS", "You are already a member of this workspace.");
    if (m.status !== "INVITED") throw notActive(m);
    await c.query(
      named(
        `UPDATE workspace_members SET status = 'ACTIVE', "userId" = $3, "joinedAt" = now(), "lastSeenAt" = now() WHERE "workspaceId" = $1 AND "memberId" = $2`,
        [workspaceId, caller.fullId, caller.userId],
      ),
    );
    await resetCursors(c, workspaceId, caller.fullId, caller.userId, m.head);
    if (m.homeRealmId) {
      // Relayed to the home realm, which answers with the head this member joins at.
      await c.query(
        named(`UPDATE workspace_members SET "remoteAckedSeq" = $3 WHERE "workspaceId" = $1 AND "memberId" = $2`, [
          workspaceId,
          caller.fullId,
          m.head.toString(),
        ]),
      );
      await queueWorkspaceEvent(c, "ws-accept", m.homeRealmId, workspaceId, caller.fullId);
    }
    return m.head;
  });
}

/** Stops delivery to a member and its pinning: cursors and unsealed uploads go, then acked changes are freed. */
export async function detach(c: pg.PoolClient, workspaceId: string, memberId: string): Promise<Freed> {
  await c.query(
    named(`DELETE FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2`, [workspaceId, memberId]),
  );
  const dropped = await dropOpenChanges(c, workspaceId, memberId);
  const freed = await freeAcked(c, workspaceId);
  return { changes: freed.changes, bytes: freed.bytes + dropped };
}

/** Leaving (or declining an invitation). */
export async function leaveWorkspace(pool: pg.Pool, caller: Caller, workspaceId: string): Promise<Freed> {
  return tx(pool, async (c) => {
    const m = await membership(c, workspaceId, caller, true);
    if (m.status === "LEFT" || m.status === "REMOVED") throw notActive(m);
    await c.query(
      named(`UPDATE workspace_members SET status = 'LEFT' WHERE "workspaceId" = $1 AND "memberId" = $2`, [
        workspaceId,
        caller.fullId,
      ]),
    );
    if (m.homeRealmId) await queueWorkspaceEvent(c, "ws-leave", m.homeRealmId, workspaceId, caller.fullId);
    return detach(c, workspaceId, caller.fullId);
  });
}

/** Removal by the creator, the owner or a manager (managers may remove members only; nobody removes the owner). */
export async function removeMember(
  pool: pg.Pool,
  caller: Caller,
  workspaceId: string,
  memberId: string,
): Promise<Freed> {
  return tx(pool, async (c) => {
    const m = await requireActive(c, workspaceId, caller, true);
    if (m.homeRealmId) throw mirrorOnly(m.homeRealmId, "remove members");
    if (!canManage(m, caller))
      throw new DomainError("UNAUTHORIZED", "Only the workspace's creator, owner and managers may remove members.");
    const t = await c.query<{ memberId: string; userId: string | null; role: WorkspaceRole; status: MemberStatus }>(
      named(
        `SELECT "memberId", "userId", role, status FROM workspace_members WHERE "workspaceId" = $1 AND lower("memberId") = lower($2)`,
        [workspaceId, memberId],
      ),
    );
    const target = t.rows[0];
    if (!target || target.status === "LEFT" || target.status === "REMOVED")
      throw new DomainError("NOSUCHUSER", `${memberId} is not a member of this workspace.`);
    if (target.memberId === caller.fullId)
      throw new DomainError("BADARGUMENTS", "To remove yourself, leave the workspace (workspaceleave).");
    if (target.role === "OWNER" || target.memberId === m.creatorId)
      throw new DomainError("UNAUTHORIZED", "The workspace's owner cannot be removed.");
    if (target.role === "MANAGER" && m.role !== "OWNER" && m.creatorId !== caller.fullId)
      throw new DomainError("UNAUTHORIZED", "Only the owner may remove a manager.");
    await c.query(
      named(`UPDATE workspace_members SET status = 'REMOVED' WHERE "workspaceId" = $1 AND "memberId" = $2`, [
        workspaceId,
        target.memberId,
      ]),
    );
    const freed = await detach(c, workspaceId, target.memberId);
    if (target.userId) await notifyMember(c, "removed", workspaceId, target.userId, m.name);
    else await queueWorkspaceEvent(c, "ws-remove", realmOf(target.memberId), workspaceId, target.memberId);
    return freed;
  });
}

/**
 * Rejoins at the current head. A SUSPENDED member becomes ACTIVE again with every computer at
 * the head; an ACTIVE member resets this computer only (e.g. after restoring it from a copy).
 */
export async function resyncMember(pool: pg.Pool, caller: Caller, workspaceId: string): Promise<bigint> {
  return tx(pool, async (c) => {
    const m = await membership(c, workspaceId, caller, true);
    if (m.status === "SUSPENDED") {
      await c.query(
        named(
          `UPDATE workspace_members SET status = 'ACTIVE', "suspendedAt" = NULL, "lastSeenAt" = now(), "userId" = $3 WHERE "workspaceId" = $1 AND "memberId" = $2`,
          [workspaceId, caller.fullId, caller.userId],
        ),
      );
      await resetCursors(c, workspaceId, caller.fullId, caller.userId, m.head);
    } else if (m.status === "ACTIVE") {
      if (!caller.computer) throw new DomainError("BADARGUMENTS", "Log in with a computer to resync it.");
      await resetCursors(c, workspaceId, caller.fullId, caller.userId, m.head, caller.computer);
      await freeAcked(c, workspaceId);
    } else throw notActive(m);
    return m.head;
  });
}

export interface WorkspaceSummary {
  id: string;
  name: string;
  role: WorkspaceRole;
  status: MemberStatus;
  head: bigint;
  /** This computer's cursor (null without a computer or before its first sync). */
  acked: bigint | null;
}

export async function listWorkspaces(pool: pg.Pool, caller: Caller): Promise<WorkspaceSummary[]> {
  const r = await pool.query<{
    id: string;
    name: string;
    role: WorkspaceRole;
    status: MemberStatus;
    nextSeq: bigint;
    ackedSeq: bigint | null;
  }>(
    named(
      `SELECT w.id, w.name, m.role, m.status, w."nextSeq", cur."ackedSeq"
       FROM workspace_members m JOIN workspaces w ON w.id = m."workspaceId"
       LEFT JOIN workspace_cursors cur ON cur."workspaceId" = w.id AND cur."memberId" = m."memberId" AND cur.computer = $2
      WHERE m."userId" = $1 AND m.status IN ('INVITED', 'ACTIVE', 'SUSPENDED') ORDER BY w."createdAt", w.id`,
      [caller.userId, caller.computer],
    ),
  );
  return r.rows.map((x) => ({
    id: x.id,
    name: x.name,
    role: x.role,
    status: x.status,
    head: BigInt(x.nextSeq) - 1n,
    acked: x.ackedSeq === null ? null : BigInt(x.ackedSeq),
  }));
}

export interface MemberSummary {
  memberId: string;
  role: WorkspaceRole;
  status: MemberStatus;
  lastSeenAt: Date | null;
  /**
   * A member of another realm: where the last invitation stands. `queued` (not taken by that
   * realm yet: it is down or not federated yet), `delivered`, or `refused` (for good, e.g. no such
   * user there: the member is then REMOVED). Null for local members.
   */
  invitation: "queued" | "delivered" | "refused" | null;
}

/** Members of a workspace the caller belongs to (active, invited or suspended). */
export async function listMembers(pool: pg.Pool, caller: Caller, workspaceId: string): Promise<MemberSummary[]> {
  const m = await membership(pool, workspaceId, caller);
  if (m.status === "LEFT" || m.status === "REMOVED") throw notActive(m);
  const r = await pool.query<MemberSummary>(
    named(
      `SELECT m."memberId", m.role, m.status, m."lastSeenAt",
              CASE WHEN m."userId" IS NOT NULL OR o.id IS NULL THEN NULL
                   WHEN o."failedAt" IS NOT NULL THEN 'refused'
                   WHEN o."deliveredAt" IS NOT NULL THEN 'delivered' ELSE 'queued' END AS invitation
         FROM workspace_members m
         LEFT JOIN LATERAL (SELECT id, "deliveredAt", "failedAt" FROM federation_outbox
                             WHERE kind = 'ws-invite' AND "workspaceId" = m."workspaceId" AND "memberId" = m."memberId"
                             ORDER BY id DESC LIMIT 1) o ON true
        WHERE m."workspaceId" = $1 ORDER BY m."invitedAt", m."memberId"`,
      [workspaceId],
    ),
  );
  return r.rows;
}
