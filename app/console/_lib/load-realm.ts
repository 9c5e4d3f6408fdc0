// The realm a /console/realms/[slug]/... page is about, or a 404 when it does not exist or the
// operator may not see it (the two are indistinguishable on purpose).
import { cache } from "react";
import { notFound } from "next/navigation";
import { requireActor } from "../../../lib/auth/current-actor.ts";
import { db } from "../../../lib/db/client.ts";
import { findVisibleRealm } from "../../../lib/console/realms.ts";

export const loadRealm = cache(async (slug: string) => {
  const actor = await requireActor();
  const realm = await findVisibleRealm(db().prisma, actor, decodeURIComponent(slug));
  if (!realm) notFound();
  return { actor, realm };
});
