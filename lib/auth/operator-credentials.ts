// Console operator sign-in: username + password against operators.passwordHash (Argon2id),
// with failed attempts limited per account and per client address in rate_limit_buckets.
// Kept free of next-auth so it can be tested directly; auth.ts wraps it in a provider.
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { OperatorRole } from "../domain/permissions.ts";
import { createLogger } from "../log.ts";
import { dummyHash, verifyPassword } from "./password.ts";
import { clear, hit, isLimited, type RateRule } from "./rate-limit.ts";

const log = createLogger("auth");

export const SIGN_IN_RULES = {
  account: { limit: 5, windowMs: 15 * 60_000 } satisfies RateRule,
  ip: { limit: 30, windowMs: 15 * 60_000 } satisfies RateRule,
};

export const operatorCredentials = z.object({
  username: z.string().trim().min(1, "Enter your username.").max(64, "Username is too long."),
  password: z.string().min(1, "Enter your password.").max(256, "Password is too long."),
});

export interface OperatorIdentity {
  id: string;
  username: string;
  role: OperatorRole;
}

export type SignInFailure = "invalid" | "rate_limited";

export class OperatorSignInError extends Error {
  constructor(
    readonly reason: SignInFailure,
    readonly retryAt?: Date,
  ) {
    super(reason);
  }
}

export const accountKey = (username: string) => `signin:operator:account:${username.toLowerCase()}`;
export const ipKey = (ip: string) => `signin:operator:ip:${ip}`;

/** Verifies an operator's credentials. Throws OperatorSignInError; never reveals which part was wrong. */
export async function authenticateOperator(prisma: PrismaClient, raw: unknown, ip: string | null): Promise<OperatorIdentity> {
  const parsed = operatorCredentials.safeParse(raw);
  if (!parsed.success) throw new OperatorSignInError("invalid");
  const { username, password } = parsed.data;
  const keys = [accountKey(username), ...(ip ? [ipKey(ip)] : [])];
  const rules = [SIGN_IN_RULES.account, SIGN_IN_RULES.ip];

  for (let i = 0; i < keys.length; i++) {
    const limited = await isLimited(prisma, keys[i], rules[i]);
    if (limited) {
      log.warn({ username, ip, key: i === 0 ? "account" : "ip" }, "sign-in refused: too many failures");
      throw new OperatorSignInError("rate_limited", limited.resetAt);
    }
  }

  const op = await prisma.operator.findUnique({ where: { username } });
  const ok = op ? await verifyPassword(op.passwordHash, password) : (await verifyPassword(await dummyHash(), password), false);
  if (!op || !ok || op.disabled) {
    await Promise.all(keys.map((k, i) => hit(prisma, k, rules[i])));
    log.info({ username, ip }, "operator sign-in failed");
    throw new OperatorSignInError("invalid");
  }
  await clear(prisma, keys[0]);
  await prisma.operator.update({ where: { id: op.id }, data: { lastLoginAt: new Date() } });
  log.info({ username, ip }, "operator signed in");
  return { id: op.id, username: op.username, role: op.role };
}
