// Self-service account deletion on /account: the password again (same failed-password limit as
// a password change) and the username typed as confirmation, then lib/domain/account-deletion.
import type pg from "pg";
import { z } from "zod";
import { verifyPassword } from "../auth/password.ts";
import { zodFieldErrors, type ActionResult } from "../console/command.ts";
import { deleteAccount } from "../domain/account-deletion.ts";
import { hitRateLimit, peekRateLimit, resetRateLimit } from "../domain/rate-limit.ts";
import { createLogger } from "../log.ts";
import type { RealmUser } from "./realm-user.ts";
import { REALM_SIGN_IN_RULES, realmAccountKey } from "./sign-in.ts";

const log = createLogger("account");

const input = z.object({
  password: z.string().min(1, "Enter your password.").max(1024),
  confirm: z.string().max(200),
});

const TOO_MANY: ActionResult = {
  ok: false,
  status: 429,
  error: "Too many wrong passwords. Wait 15 minutes and try again.",
};

export async function deleteOwnAccount(
  pool: pg.Pool,
  user: RealmUser,
  raw: unknown,
  ip: string | null = null,
): Promise<ActionResult> {
  const parsed = input.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      status: 400,
      error: "Please correct the highlighted fields.",
      fieldErrors: zodFieldErrors(parsed.error),
    };
  if (parsed.data.confirm.trim().toLowerCase() !== user.username.toLowerCase())
    return {
      ok: false,
      status: 400,
      error: "Please correct the highlighted fields.",
      fieldErrors: { confirm: [`Type your username (${user.username}) to confirm.`] },
    };
  const bucket = realmAccountKey(user.realmId, user.username);
  const rule = REALM_SIGN_IN_RULES.account;
  if ((await peekRateLimit(pool, bucket, rule.windowMs)) >= rule.limit) return TOO_MANY;
  const r = await pool.query<{ passwordHash: string }>(`SELECT "passwordHash" FROM users WHERE id = $1`, [user.userId]);
  if (!r.rows[0] || !(await verifyPassword(r.rows[0].passwordHash, parsed.data.password))) {
    const hit = await hitRateLimit(pool, bucket, rule.limit, rule.windowMs);
    if (!hit.allowed) return TOO_MANY;
    return {
      ok: false,
      status: 400,
      error: "Please correct the highlighted fields.",
      fieldErrors: { password: ["That is not your password."] },
    };
  }
  const report = await deleteAccount(pool, user.userId, { id: null, label: `user:${user.fullId}`, ip });
  await resetRateLimit(pool, bucket);
  log.info({ userId: user.userId }, "account deleted by its user");
  return {
    ok: true,
    status: 200,
    message: `Your account ${user.fullId} was deleted: ${report.bytesReleased} bytes released, ${report.messagesRetracted} of your messages retracted, ${report.workspacesLeft} workspace(s) left.`,
  };
}
