// Realm users signing in on the web (/account) with their realm credentials: the realm by slug
// (or the realm part of a full user id "realm::username"), Argon2id verification, and the same
// rate_limit_buckets as the realm daemon's `authenticate` (realm-daemon/commands/authenticate.ts):
// failures count per account and per client address, shared between the web and the protocol.
// Kept free of next-auth so it can be tested directly; auth.ts wraps it in a provider.
import { z } from "zod";
import type { DbHandle } from "../db/client.ts";
import type { Realm } from "../generated/prisma/client.ts";
import { createLogger } from "../log.ts";
import { dummyHash, verifyPassword } from "../auth/password.ts";
import {
  beginLoginAttempt,
  LOGIN_LIMITS,
  loginAccountBucket,
  loginIpBucket,
  loginFailed,
  loginSucceeded,
  type LoginBuckets,
} from "../domain/login-limits.ts";
import { foldUsername } from "../domain/usernames.ts";

const log = createLogger("account");

/** The realm daemon's rules and buckets (lib/domain/login-limits.ts), under this module's names. */
export const REALM_SIGN_IN_RULES = LOGIN_LIMITS;
export const realmAccountKey = loginAccountBucket;
export const realmIpKey = loginIpBucket;

export const realmUserCredentials = z
  .object({
    realm: z.string().trim().max(300, "That realm name is too long.").optional().default(""),
    username: z
      .string()
      .trim()
      .min(1, "Enter your username or user id.")
      .max(600, "That is too long for a username or user id."),
    password: z.string().min(1, "Enter your password.").max(256, "Password is too long."),
  })
  .refine((v) => v.realm !== "" || v.username.includes("::"), {
    path: ["realm"],
    message: "Enter your realm, or your full user id (realm::username) as the username.",
  });

export type RealmUserCredentials = z.input<typeof realmUserCredentials>;

export interface RealmUserIdentity {
  userId: string;
  realmId: string;
  username: string;
  sessionEpoch: number;
}

export type RealmSignInFailure = "invalid" | "rate_limited" | "suspended";

export class RealmUserSignInError extends Error {
  constructor(
    readonly reason: RealmSignInFailure,
    message: string,
  ) {
    super(message);
  }
}

const INVALID = "Wrong realm, username or password.";

type RealmRow = Pick<Realm, "id" | "status">;

/** The realm from a full user id ("realm::username", which wins) or from the realm field (slug or id). */
async function findRealm(
  db: Pick<DbHandle, "pool">,
  realm: string,
  username: string,
): Promise<{ realm: RealmRow | null; username: string }> {
  const at = username.lastIndexOf("::");
  const [key, name] = at > 0 ? [username.slice(0, at), username.slice(at + 2)] : [realm, username];
  const r = await db.pool.query<RealmRow>(
    `SELECT id, status FROM realms WHERE slug = lower($1) OR lower(id) = lower($1) LIMIT 1`,
    [key],
  );
  return { realm: r.rows[0] ?? null, username: name };
}

/**
 * Verifies a realm user's credentials like the realm daemon does: every attempt first takes a
 * slot in the account and address buckets (lib/domain/login-limits.ts); once either is full,
 * every attempt, right password or not, gets the same rate-limited answer without hashing. A
 * failure says only "wrong realm, username or password". A suspended account is refused with its
 * own message (after the password matched).
 */
export async function authenticateRealmUser(
  db: Pick<DbHandle, "pool">,
  raw: unknown,
  ip: string | null,
): Promise<RealmUserIdentity> {
  const parsed = realmUserCredentials.safeParse(raw);
  if (!parsed.success) throw new RealmUserSignInError("invalid", INVALID);
  const { password } = parsed.data;
  const { realm, username } = await findRealm(db, parsed.data.realm, parsed.data.username);
  const buckets: LoginBuckets = {
    account: realm ? realmAccountKey(realm.id, username) : null,
    ip: ip ? realmIpKey(ip) : null,
  };
  // The limits before the password (lib/domain/login-limits.ts): during a lockout every attempt
  // gets the same answer, and nothing is hashed.
  if (!(await beginLoginAttempt(db.pool, buckets))) {
    log.info({ realm: realm?.id ?? null, username, ip }, "realm user sign-in refused: locked out");
    throw new RealmUserSignInError("rate_limited", "Too many failed sign-ins. Wait 15 minutes and try again.");
  }
  const r = realm
    ? await db.pool.query<{ id: string; username: string; passwordHash: string; status: string; sessionEpoch: number }>(
        `SELECT id, username, "passwordHash", status, "sessionEpoch" FROM users WHERE "realmId" = $1 AND "usernameKey" = $2`,
        [realm.id, foldUsername(username)],
      )
    : null;
  const u = r?.rows[0];
  const good = await verifyPassword(u?.passwordHash ?? (await dummyHash()), password);
  if (!u || !good) {
    await loginFailed(db.pool, buckets);
    log.info({ realm: realm?.id ?? null, username, ip }, "realm user sign-in failed");
    throw new RealmUserSignInError("invalid", INVALID);
  }
  await loginSucceeded(db.pool, buckets);
  if (u.status !== "ACTIVE")
    throw new RealmUserSignInError("suspended", "This account is suspended. Contact the realm's operator.");
  if (realm!.status !== "ACTIVE")
    throw new RealmUserSignInError("suspended", "This realm is disabled at the moment. Contact its operator.");
  await db.pool.query(`UPDATE users SET "lastLoginAt" = now() WHERE id = $1`, [u.id]);
  log.info({ realm: realm!.id, username: u.username, ip }, "realm user signed in on the web");
  return { userId: u.id, realmId: realm!.id, username: u.username, sessionEpoch: u.sessionEpoch };
}
