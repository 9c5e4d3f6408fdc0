// GET /account/export: the signed-in realm user's data export, as a tar archive download.
import { currentRealmUser } from "../../../lib/account/current-user.ts";
import { db } from "../../../lib/db/client.ts";
import { openAccountExport } from "../../../lib/domain/account-export.ts";
import { tarResponse } from "../../../lib/account/tar-response.ts";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const user = await currentRealmUser();
  if (!user) return new Response("Sign in first.\n", { status: 401, headers: { "content-type": "text/plain" } });
  return tarResponse(await openAccountExport(db().pool, user.userId));
}
