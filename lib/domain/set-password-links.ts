// One-time set-password links: an operator creates an account (or re-invites a user) and hands
// over a link; the user chooses a password on /account/set-password. The secret is random
// (24 bytes), shown once, stored as sha256; a link works once (conditional UPDATE on usedAt)
// and only until it expires. Using it bumps the user's session epoch and is audited.
import type pg from "pg";
import type { Prisma } from "../generated/prisma/client.ts";
import { hashPassword } from "../auth/password.ts";
import { CHANNELS, notify } from "../db/notify.ts";
import { tx } from "../db/tx.ts";
import { DomainError } from "./errors.ts";
import { hashCode, newCode } from "./registration.ts";
import { checkPassword, formatUserId } from "./usernames.ts";

export const LINK_EXPIRY_DAYS = { "1": "1 day", "3": "3 days", "7": "7 days" } as const;
export type LinkExpiry = keyof typeof LINK_EXPIRY_DAYS;

export function setPasswordPath(token: string): string {
  return `/account/set-password?token=${encodeURIComponent(token)}`;
}

/** A new link for a user, inside the caller's transaction (the account may be created in it too). */
export async function issueSetPasswordLink(
  tx: Prisma.TransactionClient,
  userId: string,
  expiresInDays: number,
  operatorId: string | null,
): Promise<{ token: string; path: string; expiresAt: Date }> {
  const token = newCode(24);
  const expiresAt = new Date(Date.now() + expiresInDays * 86_400_000);
  await tx.setPasswordLink.create({
    data: { userId, tokenHash: hashCode(token), expiresAt, createdByOperatorId: operatorId },
  });
  return { token, path: setPasswordPath(token), expiresAt };
}

export interface LinkTarget {
  userId: string;
  username: string;
  realmId: string;
  realmName: string;
  realmSlug: string;
  fullId: string;
  expiresAt: Date;
}

const EXPIRED = "This link has expired or was already used. Ask the realm's operator for a new one.";

/** Who a link is for, or null when it is unknown, used or expired (the page says so). */
export async function setPasswordLinkTarget(pool: pg.Pool, token: string): Promise<LinkTarget | null> {
  if (!token || token.length > 200) return null;
  const r = await pool.query<Omit<LinkTarget, "fullId">>(
    `SELECT l."userId", u.username, u."realmId", r.name AS "realmName", r.slug AS "realmSlug", l."expiresAt"
       FROM set_password_links l JOIN users u ON u.id = l."userId" JOIN realms r ON r.id = u."realmId"
      WHERE l."tokenHash" = $1 AND l."usedAt" IS NULL AND l."expiresAt" > now()`,
    [hashCode(token)],
  );
  const row = r.rows[0];
  return row ? { ...row, fullId: formatUserId(row.realmId, row.username) } : null;
}

/**
 * Sets the password through a link, once: throws DomainError BADARGUMENTS (expired / used /
 * unknown link) or BADPASSWORD (the signup rules). Other links of the user stay valid until used
 * or expired; live sessions end (epoch bump), as after any password change.
 */
export async function redeemSetPasswordLink(
  pool: pg.Pool,
  token: string,
  password: string,
  ip: string | null,
): Promise<LinkTarget> {
  const target = await setPasswordLinkTarget(pool, token);
  if (!target) throw new DomainError("BADARGUMENTS", EXPIRED);
  const bad = checkPassword(password, target.username);
  if (bad) throw bad;
  const passwordHash = await hashPassword(password);
  await tx(pool, async (c) => {
    // Single use even when two tabs submit at once: only one UPDATE finds usedAt still NULL.
    const used = await c.query(
      `UPDATE set_password_links SET "usedAt" = now() WHERE "tokenHash" = $1 AND "usedAt" IS NULL AND "expiresAt" > now() RETURNING id`,
      [hashCode(token)],
    );
    if (!used.rowCount) throw new DomainError("BADARGUMENTS", EXPIRED);
    await c.query(`UPDATE users SET "passwordHash" = $2, "sessionEpoch" = "sessionEpoch" + 1 WHERE id = $1`, [
      target.userId,
      passwordHash,
    ]);
    await c.query(
      `INSERT INTO audit_log ("actorId", "actorLabel", action, "targetType", "targetId", "realmId", after, ip)
       VALUES (NULL, $1, 'user.password-set', 'user', $2, $3, $4, $5)`,
      [
        `user:${target.username}`,
        target.userId,
        target.realmId,
        JSON.stringify({ password: "set with a one-time link" }),
        ip,
      ],
    );
    await notify(c, CHANNELS.user, target.userId);
  });
  return target;
}
