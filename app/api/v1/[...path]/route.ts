// Every /api/v1 route goes through one dispatcher (lib/api/handler.ts) reading one route table
// (lib/api/routes.ts), so a route cannot exist without its command, its authz test row and its
// entry in the OpenAPI document.
import { handleApiRequest } from "../../../../lib/api/handler.ts";
import { db } from "../../../../lib/db/client.ts";

export const dynamic = "force-dynamic";

function handle(req: Request): Promise<Response> {
  const { prisma, pool } = db();
  return handleApiRequest(req, { prisma, pool });
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
