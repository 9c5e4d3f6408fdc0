// The OpenAPI 3.1 document of the operator API, generated from the route table and the zod
// schemas of the console commands (lib/api/openapi.ts). Public: it describes, it grants nothing.
import { openApiDocument } from "../../../../lib/api/openapi.ts";

export function GET(): Response {
  return Response.json(openApiDocument(), { headers: { "cache-control": "no-cache" } });
}
