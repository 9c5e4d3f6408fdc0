// The OpenAPI 3.1 document of /api/v1, generated from the route table and the commands' own zod
// schemas (zod 4's z.toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 uses), so the document
// cannot drift from what the API accepts.
import { z } from "zod";
import { API_BASE } from "./handler.ts";
import { API_ROUTES, pathFields, pathParams, type ApiRoute } from "./routes.ts";

type Json = Record<string, unknown>;

/** The input-side JSON schema of a command, without the fields its path fills. */
function inputSchema(route: ApiRoute): { properties: Record<string, Json>; required: string[] } {
  const js = z.toJSONSchema(route.command.schema, { io: "input", unrepresentable: "any" }) as Json;
  const props = { ...((js.properties as Record<string, Json> | undefined) ?? {}) };
  const shape = (route.command.schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  const fromPath = new Set(pathFields(route));
  if (route.realmQuery) {
    delete props.realmId;
    props[route.realmQuery] = { type: "string", description: "A realm's short name (slug)." };
  }
  for (const f of fromPath) delete props[f];
  // Required = refused when absent (checkboxes and defaults are not, whatever toJSONSchema says).
  const required =
    route.current !== undefined
      ? []
      : Object.keys(props).filter((k) => shape[k] !== undefined && !shape[k].safeParse(undefined).success);
  return { properties: props, required };
}

const errorCodes: Record<string, string> = {
  "400": "Invalid input: `error` says what, `fieldErrors` maps each field to its messages.",
  "401": "No token, or an unknown, expired or revoked one, or its owner disabled, demoted or with a changed password.",
  "403": "The token's role does not allow this (administrator-only).",
  "404": "The target does not exist or is outside the token's realms (the two are not told apart).",
  "409": "Conflicts with existing data (name taken, realm full, …).",
  "429": "Too many requests with this token; see the Retry-After header.",
};

export function openApiDocument(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of API_ROUTES) {
    const { properties, required } = inputSchema(route);
    const params: Json[] = pathParams(route.path).map((name) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
      ...(name === "slug" ? { description: "The realm's short name, as in the console's URLs." } : {}),
    }));
    const op: Json = {
      operationId: route.command.name,
      summary: route.summary,
      tags: [route.tag],
      description: `Runs the console command \`${route.command.name}\`.`,
      security: [{ bearerAuth: [] }],
      responses: {
        "200": {
          description: "Done: `message` for people, `data` for programs, `warnings` when something needs attention.",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Success" } } },
        },
        ...Object.fromEntries(
          Object.entries(errorCodes).map(([code, description]) => [
            code,
            { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
          ]),
        ),
      },
    };
    if (route.method === "GET" || route.method === "DELETE") {
      for (const [name, schema] of Object.entries(properties))
        params.push({ name, in: "query", required: required.includes(name), schema });
    } else {
      op.requestBody = {
        required: required.length > 0,
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties,
              ...(required.length ? { required } : {}),
              additionalProperties: false,
            },
          },
        },
      };
    }
    if (params.length) op.parameters = params;
    (paths[API_BASE + route.path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "OpenGroove operator API",
      version: "1",
      description:
        "The console's commands over HTTP. Authenticate with `Authorization: Bearer <token>` (create tokens in the console under API tokens). See docs/api.md.",
    },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An operator API token (ogt_…)." },
      },
      schemas: {
        Success: {
          type: "object",
          required: ["ok", "status", "message"],
          properties: {
            ok: { const: true },
            status: { const: 200 },
            message: { type: "string" },
            data: { type: "object" },
            warnings: { type: "array", items: { type: "string" } },
          },
        },
        Error: {
          type: "object",
          required: ["ok", "status", "error"],
          properties: {
            ok: { const: false },
            status: { type: "integer", enum: [400, 401, 403, 404, 405, 409, 429, 500] },
            error: { type: "string" },
            fieldErrors: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
          },
        },
      },
    },
    paths,
  };
}
