// Auth.js endpoints. Sign-in and sign-out in the console go through server actions; this route
// serves session reads and Auth.js's own forms. State-changing POSTs must come from this site.
import { handlers } from "../../../../auth.ts";
import { isSameOrigin } from "../../../../lib/auth/request-meta.ts";

export const GET = handlers.GET;

export async function POST(request: Parameters<typeof handlers.POST>[0]): Promise<Response> {
  if (!isSameOrigin(request.headers)) return Response.json({ error: "Cross-site request refused." }, { status: 403 });
  return handlers.POST(request);
}
