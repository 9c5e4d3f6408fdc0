// The console and signup pages: Next.js in production mode behind node's http server, so the
// launcher gets a "ready" message and the server stops with it. `npm run web` runs this too.
import "dotenv/config";
import http from "node:http";
import path from "node:path";
import next from "next";
import { z } from "zod";
import { baseEnvSchema, parseEnv } from "../lib/config/env.ts";
import { createLogger } from "../lib/log.ts";
import { runComponent, listenOrFail } from "../lib/runtime/daemon-lifecycle.ts";

const log = createLogger("web");
const schema = baseEnvSchema.extend({
  OPENGROOVE_WEB_HOST: z.string().min(1).default("127.0.0.1"),
  OPENGROOVE_WEB_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
});

await runComponent("web", log, async () => {
  const env = parseEnv(schema);
  const app = next({
    dev: false,
    dir: path.resolve(import.meta.dirname, ".."),
    hostname: env.OPENGROOVE_WEB_HOST,
    port: env.OPENGROOVE_WEB_PORT,
  });
  await app.prepare();
  const handle = app.getRequestHandler();
  // Client address for rate limits (lib/auth/request-meta.ts reads the last x-forwarded-for
  // entry): the socket address, unless a trusted reverse proxy in front sets the header.
  const trustProxy = ["1", "true", "yes"].includes(process.env.OPENGROOVE_TRUST_PROXY ?? "");
  const server = http.createServer((req, res) => {
    if (!trustProxy || !req.headers["x-forwarded-for"]) req.headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
    void handle(req, res);
  });
  const port = await listenOrFail(
    server,
    env.OPENGROOVE_WEB_PORT,
    env.OPENGROOVE_WEB_HOST,
    "web console, OPENGROOVE_WEB_PORT",
  );
  return {
    addresses: [`http://${env.OPENGROOVE_WEB_HOST}:${port}`],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
});
