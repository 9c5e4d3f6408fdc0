// The signed-in operator for the current request, re-read from the database (role, realms,
// disabled flag) so changes apply immediately even though the session itself is a JWT.
// Only an operator principal yields an actor: a realm user's session (/account) never opens
// the console.
import { cache } from "react";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { auth } from "../../auth.ts";
import { db, type DbHandle } from "../db/client.ts";
import type { Actor } from "../domain/permissions.ts";
import type { Principal } from "./principal.ts";
import { clientIpFrom } from "./request-meta.ts";

/** The console actor for a session principal, or null (not an operator, unknown, disabled, or signed out by a password change). */
export async function loadActor(prisma: DbHandle["prisma"], principal: Principal | undefined): Promise<Actor | null> {
  if (principal?.kind !== "operator") return null;
  const op = await prisma.operator.findUnique({
    where: { id: principal.id },
    include: { realms: { select: { realmId: true } } },
  });
  // A password change bumps the epoch: sessions signed in before it end here.
  if (!op || op.disabled || op.sessionEpoch !== principal.sessionEpoch) return null;
  return {
    kind: "operator",
    id: op.id,
    username: op.username,
    role: op.role,
    realmIds: new Set(op.realms.map((r) => r.realmId)),
  };
}

export const currentActor = cache(async (): Promise<Actor | null> => {
  const session = await auth();
  return loadActor(db().prisma, session?.principal);
});

/** For pages: the actor, or a redirect to the sign-in page. */
export async function requireActor(): Promise<Actor> {
  const actor = await currentActor();
  if (!actor) redirect("/console/sign-in");
  return actor;
}

export async function requestIp(): Promise<string | null> {
  return clientIpFrom(await headers());
}
