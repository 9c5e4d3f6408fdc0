// Failed-login limits for realm users, shared by the realm daemon's authenticate and the web
// account sign-in: the same rules and the same bucket names, so guesses on either path count
// together (ejabberd-style lockout per account, plus a wider one per client address).
import { foldUsername } from "./usernames.ts";

export const LOGIN_LIMITS = {
  account: { limit: 10, windowMs: 15 * 60_000 },
  ip: { limit: 50, windowMs: 15 * 60_000 },
} as const;

export const loginAccountBucket = (realmId: string, username: string) => `auth:${realmId}:${foldUsername(username)}`;
export const loginIpBucket = (ip: string) => `auth-ip:${ip}`;
