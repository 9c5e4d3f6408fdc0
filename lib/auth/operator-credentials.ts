// Console operator sign-in: username + password against operators.passwordHash (Argon2id),
// with failed attempts limited per account and per client address in rate_limit_buckets.
// Kept free of next-auth so it can be tested directly; auth.ts wraps it in a provider.
import { z } from "zod";
import type { DbHandle } from "../db/client.ts";
import type { OperatorRole } from "../domain/permissions.ts";
import { createLogger } from "../log.ts";
import { dummyHash, verifyPassword } from "./password.ts";
import { hitRateLimit, resetRateLimit } from "../domain/rate-limit.ts";

const log = createLogger("auth");

/** Failed sign-ins allowed per window, per account name and per client address. */
export const SIGN_IN_RULES = {
  account: { limit: 5, windowMs: 15 * 60_000 },
  ip: { limit: 30, windowMs: 15 * 60_000 },
} as const;

export const operatorCredentials = z.object({
  username: z.string().trim().min(1, "Enter your username.").max(64, "Username is too long."),
  password: z.string().min(1, "Enter your password.").max(256, "Password is too long."),
});

export interface OperatorIdentity {
  id: string;
  username: string;
  role: OperatorRole;
  /** operators.sessionEpoch at sign-in (see lib/auth/current-actor.ts). */
  sessionEpoch: number;
}

export type SignInFailure = "invalid" | "rate_limited";

export class OperatorSignInError extends Error {
  constructor(readonly reason: SignInFailure) {
    super(reason);
  }
}

export const accountKey = (username: string) => `signin:operator:account:${username.toLowerCase()}`;
export const ipKey = (ip: string) => `signin:operator:ip:${ip}`;

/** Verifies an operator's credentials. Throws OperatorSignInError; never reveals which part was wrong. */
export async function authenticateOperator(
  db: Pick<DbHandle, "prisma" | "pool">,
  raw: unknown,
  ip: string | null,
): Promise<OperatorIdentity> {
  const parsed = operatorCredentials.safeParse(raw);
  if (!parsed.success) throw new OperatorSignInError("invalid");
  const { username, password } = parsed.data;
  const limits = [
    { key: accountKey(username), ...SIGN_IN_RULES.account },
    ...(ip ? [{ key: ipKey(ip), ...SIGN_IN_RULES.ip }] : []),
  ];
  // Count the attempt first (one atomic statement per key), so parallel guesses cannot slip
  // past the limit; a successful sign-in gives its count back below.
  const hits = await Promise.all(limits.map((l) => hitRateLimit(db.pool, l.key, l.limit, l.windowMs)));
  const blocked = hits.findIndex((h) => !h.allowed);
  if (blocked >= 0) {
    log.warn({ username, ip, limit: blocked === 0 ? "account" : "ip" }, "sign-in refused: too many failures");
    throw new OperatorSignInError("rate_limited");
  }

  const op = await db.prisma.operator.findUnique({ where: { username } });
  const ok = op
    ? await verifyPassword(op.passwordHash, password)
    : (await verifyPassword(await dummyHash(), password), false);
  if (!op || !ok || op.disabled) {
    log.info({ username, ip }, "operator sign-in failed");
    throw new OperatorSignInError("invalid");
  }
  await resetRateLimit(db.pool, limits[0].key);
  if (limits[1])
    await db.pool.query(`UPDATE rate_limit_buckets SET count = GREATEST(count - 1, 0) WHERE key = $1`, [limits[1].key]);
  await db.prisma.operator.update({ where: { id: op.id }, data: { lastLoginAt: new Date() } });
  log.info({ username, ip }, "operator signed in");
  return { id: op.id, username: op.username, role: op.role, sessionEpoch: op.sessionEpoch };
}
