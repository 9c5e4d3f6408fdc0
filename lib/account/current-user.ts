// The signed-in realm user for the current request (/account pages and actions), re-read from
// the database on every request: a suspended user, a disabled realm or an operator's "sign out
// everywhere" (sessionEpoch) ends the web session at once. An operator's session never counts.
import { cache } from "react";
import { redirect } from "next/navigation";
import { auth } from "../auth/next-auth.ts";
import { db } from "../db/client.ts";
import { loadRealmUser, type RealmUser } from "./realm-user.ts";

export type { RealmUser } from "./realm-user.ts";

export const currentRealmUser = cache(async (): Promise<RealmUser | null> => {
  const session = await auth();
  return loadRealmUser(db().pool, session?.principal);
});

/** For pages: the realm user, or a redirect to the account sign-in page. */
export async function requireRealmUser(next = "/account"): Promise<RealmUser> {
  const user = await currentRealmUser();
  if (!user) redirect(`/account/sign-in?next=${encodeURIComponent(next)}`);
  return user;
}
