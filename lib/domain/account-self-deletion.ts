// The user deletes their own account over the protocol (deleteaccount). Its own module so that
// accounts.ts does not import account-deletion.ts (which imports messages.ts, which imports
// accounts.ts): lib/domain has no import cycles.
import type pg from "pg";
import { deleteAccount, type DeletionReport } from "./account-deletion.ts";
import { checkCurrentPassword, type PasswordGate } from "./accounts.ts";
import { DomainError } from "./errors.ts";
import { foldUsername } from "./usernames.ts";

/**
 * The user deletes their own account over the protocol: the password again (login limits) and
 * the username typed as confirmation (BADARGUMENTS otherwise), then lib/domain/account-deletion
 * (everything released, audited as the user themself).
 */
export async function deleteOwnAccount(
  pool: pg.Pool,
  session: { userId: string; username: string; fullId: string },
  password: string,
  confirm: string,
  gate: PasswordGate,
): Promise<DeletionReport> {
  if (foldUsername(confirm.trim()) !== foldUsername(session.username))
    throw new DomainError("BADARGUMENTS", `type your username (${session.username}) to confirm`, "confirm");
  await checkCurrentPassword(pool, session, password, gate);
  return deleteAccount(pool, session.userId, { id: null, label: `user:${session.fullId}`, ip: gate.remoteIp });
}
