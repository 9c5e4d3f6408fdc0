// GET: an operator's download of one user's data export (audited; 404 outside the operator's realms).
import { currentActor, requestIp } from "../../../../../../../../lib/auth/current-actor.ts";
import { db } from "../../../../../../../../lib/db/client.ts";
import { operatorExportUser } from "../../../../../../../../lib/console/user-data.ts";
import { tarResponse } from "../../../../../../../../lib/account/tar-response.ts";

export const dynamic = "force-dynamic";

export async function GET(_req: Request, { params }: { params: Promise<{ userId: string }> }): Promise<Response> {
  const actor = await currentActor();
  if (!actor) return new Response("Sign in first.\n", { status: 401, headers: { "content-type": "text/plain" } });
  const { userId } = await params;
  const out = await operatorExportUser({ prisma: db().prisma, actor, ip: await requestIp() }, userId);
  if (!out) return new Response("Not found.\n", { status: 404, headers: { "content-type": "text/plain" } });
  return tarResponse(out);
}
