// GET /account/export: the signed-in realm user's data export, as a tar archive download.
import { currentRealmUser } from "../../../lib/account/current-user.ts";
import { db } from "../../../lib/db/client.ts";
import { exportAccountTar } from "../../../lib/domain/account-export.ts";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const user = await currentRealmUser();
  if (!user) return new Response("Sign in first.\n", { status: 401, headers: { "content-type": "text/plain" } });
  const { filename, tar } = await exportAccountTar(db().pool, user.userId);
  return new Response(new Uint8Array(tar), {
    headers: {
      "content-type": "application/x-tar",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    },
  });
}
