// Account registration: the one place that enforces registration mode, username rules, the
// realm's user cap and an invite's uses. Both the web signup and the protocol's
// registeraccount call this. Caps hold under concurrency because every check is a single
// conditional UPDATE inside the transaction that inserts the user.
import crypto from "node:crypto";
import type pg from "pg";
import { hashPassword } from "../auth/password.ts";
import { DomainError } from "./errors.ts";
import { checkPassword, checkUsername, foldUsername } from "./usernames.ts";
import type { Realm } from "../generated/prisma/client.ts";

export function hashCode(code: string): string {
  return crypto.createHash("sha256").update(code.trim()).digest("hex");
}

// Codes are typed or pasted after CLI options (`--invite CODE`, `--token CODE`); one that began
// with "-" would be read as an option, so a code never starts with "-" or "_".
export function newCode(bytes = 18): string {
  for (;;) {
    const code = crypto.randomBytes(bytes).toString("base64url");
    if (!/^[-_]/.test(code)) return code;
  }
}

export interface RegisterInput {
  realmId: string;
  username: string;
  password: string;
  inviteCode?: string;
  /** True when the caller has verified a captcha (or redeemed a web signup ticket). */
  captchaPassed: boolean;
}

export interface RegisteredUser {
  id: string;
  realmId: string;
  username: string;
}

type RealmRow = Pick<Realm, "id" | "status" | "registrationMode" | "captchaProvider">;

/** Throws DomainError (BADUSERNAME, BADPASSWORD, REGISTRATIONCLOSED, BADINVITE, REALMFULL, ALREADYEXISTS, NOSUCHREALM, UNAUTHORIZED). */
export async function registerAccount(pool: pg.Pool, input: RegisterInput): Promise<RegisteredUser> {
  const badName = checkUsername(input.username);
  if (badName) throw badName;
  const badPw = checkPassword(input.password, input.username);
  if (badPw) throw badPw;
  const username = input.username.normalize("NFKC");

  const realm = (
    await pool.query<RealmRow>(`SELECT id, status, "registrationMode", "captchaProvider" FROM realms WHERE id = $1`, [
      input.realmId,
    ])
  ).rows[0];
  if (!realm || realm.status !== "ACTIVE")
    throw new DomainError("NOSUCHREALM", "This realm does not exist or is not accepting users.");
  if (realm.registrationMode === "CLOSED")
    throw new DomainError(
      "REGISTRATIONCLOSED",
      "Registration on this realm is closed. Ask the realm's operator for an account.",
    );
  if (realm.registrationMode === "OPEN" && realm.captchaProvider !== "NONE" && !input.captchaPassed)
    throw new DomainError(
      "UNAUTHORIZED",
      "This realm requires a captcha: complete signup on the realm's web page.",
      "captcha",
    );

  // Invite: a cheap check before the password is hashed (a wrong code costs no Argon2), then
  // the use is taken inside the transaction that inserts the user, by one conditional UPDATE:
  // it commits or rolls back with the account, so a crash or an error can never leave a use
  // reserved (`pending` stays 0), and concurrent signups wait on the invite's row lock and
  // re-check the count, so an invite is never used more often than allowed.
  const inviteHash = realm.registrationMode === "INVITE" && input.inviteCode ? hashCode(input.inviteCode) : undefined;
  const badInvite = () =>
    new DomainError(
      "BADINVITE",
      "This invite code is not valid: it may be mistyped, used up, expired or revoked.",
      "invite",
    );
  if (realm.registrationMode === "INVITE") {
    if (!inviteHash)
      throw new DomainError("BADINVITE", "This realm is invite-only: an invite code is required.", "invite");
    const r = await pool.query(
      `SELECT 1 FROM invites WHERE "codeHash" = $1 AND "realmId" = $2 AND "revokedAt" IS NULL
          AND ("expiresAt" IS NULL OR "expiresAt" > now()) AND pending + completed < "usesAllowed"`,
      [inviteHash, realm.id],
    );
    if (!r.rowCount) throw badInvite();
  }

  const passwordHash = await hashPassword(input.password);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    if (inviteHash) {
      const use = await client.query(
        `UPDATE invites SET completed = completed + 1
          WHERE "codeHash" = $1 AND "realmId" = $2 AND "revokedAt" IS NULL
            AND ("expiresAt" IS NULL OR "expiresAt" > now()) AND pending + completed < "usesAllowed"`,
        [inviteHash, realm.id],
      );
      if (!use.rowCount) throw badInvite();
    }
    const cap = await client.query(
      `UPDATE realms SET "userCount" = "userCount" + 1 WHERE id = $1 AND "userCount" < "userCap" RETURNING id`,
      [realm.id],
    );
    if (cap.rowCount === 0)
      throw new DomainError("REALMFULL", "This realm has reached its user limit; no new accounts can be created now.");
    const ins = await client.query<{ id: string }>(
      `INSERT INTO users (id, "realmId", username, "usernameKey", "passwordHash") VALUES (gen_random_uuid(), $1, $2, $3, $4)
       ON CONFLICT ("realmId", "usernameKey") DO NOTHING RETURNING id`,
      [realm.id, username, foldUsername(username), passwordHash],
    );
    if (!ins.rows[0])
      throw new DomainError("ALREADYEXISTS", "This username is taken on this realm; choose another.", "username");
    await client.query("COMMIT");
    return { id: ins.rows[0].id, realmId: realm.id, username };
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
