// The account page's changes: removing a computer and changing the password. zod first, then
// the same domain rules the protocol's deletecomputer and setpassword apply; results in the
// console's uniform ActionResult shape (field errors for the form).
import type pg from "pg";
import { z } from "zod";
import { hashPassword, verifyPassword } from "../auth/password.ts";
import { fieldProblems, zodFieldErrors, type ActionResult } from "../console/command.ts";
import { deleteComputer } from "../domain/computers.ts";
import { DomainError } from "../domain/errors.ts";
import { beginLoginAttempt, loginFailed, loginSucceeded } from "../domain/login-limits.ts";
import { changeUserPassword } from "../domain/password-change.ts";
import { checkPassword } from "../domain/usernames.ts";
import { createLogger } from "../log.ts";
import type { RealmUser } from "./realm-user.ts";
import { realmAccountKey } from "./sign-in.ts";

const log = createLogger("account");

export const removeComputerInput = z.object({
  name: z.string().min(1, "Choose a computer.").max(64, "No computer has such a long name."),
});

export async function removeComputer(pool: pg.Pool, user: RealmUser, raw: unknown): Promise<ActionResult> {
  const parsed = removeComputerInput.safeParse(raw);
  if (!parsed.success)
    return { ok: false, status: 400, error: "Choose a computer to remove.", fieldErrors: zodFieldErrors(parsed.error) };
  try {
    await deleteComputer(pool, { realmId: user.realmId, userId: user.userId, fullId: user.fullId }, parsed.data.name);
  } catch (e) {
    if (e instanceof DomainError && e.code === "NOSUCHCOMPUTER")
      return { ok: false, status: 404, error: `You have no computer named “${parsed.data.name}”.` };
    throw e;
  }
  log.info({ userId: user.userId, computer: parsed.data.name }, "computer removed on the web");
  return {
    ok: true,
    status: 200,
    message: `Removed the computer “${parsed.data.name}”. Messages that were waiting only for it were deleted.`,
  };
}

export const changePasswordInput = z
  .object({
    current: z.string().min(1, "Enter your current password.").max(256, "Password is too long."),
    password: z.string().min(1, "Enter a new password.").max(256, "Password is too long."),
    confirm: z.string().max(256, "Password is too long."),
  })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "The two new passwords do not match." });

/**
 * setpassword's rules on the web: the current password must match (failures count in the same
 * per-account bucket as sign-ins, so a stolen session cannot be used to guess it), the new one
 * must pass checkPassword. The change ends every session of the account (a new session epoch).
 */
export async function changePassword(pool: pg.Pool, user: RealmUser, raw: unknown): Promise<ActionResult> {
  const parsed = changePasswordInput.safeParse(raw);
  if (!parsed.success) return fieldProblems(zodFieldErrors(parsed.error));
  const { current, password } = parsed.data;
  // The same limits as every password check (lib/domain/login-limits.ts), before hashing.
  const buckets = { account: realmAccountKey(user.realmId, user.username), ip: null };
  if (!(await beginLoginAttempt(pool, buckets)))
    return { ok: false, status: 429, error: "Too many wrong passwords. Wait 15 minutes and try again." };
  const r = await pool.query<{ passwordHash: string }>(`SELECT "passwordHash" FROM users WHERE id = $1`, [user.userId]);
  if (!r.rows[0] || !(await verifyPassword(r.rows[0].passwordHash, current))) {
    await loginFailed(pool, buckets);
    return fieldProblems({ current: ["That is not your current password."] });
  }
  await loginSucceeded(pool, buckets);
  const bad = checkPassword(password, user.username);
  if (bad) return fieldProblems({ password: [bad.message] });
  // A new session epoch: every session of the account ends, this web session included (its
  // token carries the old epoch), and the realm daemons drop protocol sessions.
  await changeUserPassword(pool, user.userId, await hashPassword(password));
  log.info({ userId: user.userId }, "password changed on the web");
  return {
    ok: true,
    status: 200,
    message:
      "Your password was changed. Every session of your account, this one included, was signed out: sign in again with the new password.",
  };
}
