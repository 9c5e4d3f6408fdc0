// `npm run management-daemon`: the management server (realm registry and keys).
import "dotenv/config";
import { parseEnv } from "../lib/config/env.ts";
import { connectDb } from "../lib/db/client.ts";
import { createLogger } from "../lib/log.ts";
import { runComponent } from "../lib/runtime/daemon-lifecycle.ts";
import { managementEnvSchema } from "./config.ts";
import { startPacketServer } from "./server.ts";

const log = createLogger("management-daemon");

await runComponent("management-daemon", log, async () => {
  const env = parseEnv(managementEnvSchema);
  const db = connectDb(env.DATABASE_URL, { max: 5, applicationName: "opengroove-management" });
  const host = env.OPENGROOVE_MANAGEMENT_BIND_HOST;
  const closers: Array<() => Promise<void>> = [];
  try {
    const clients = await startPacketServer({ pool: db.pool, log, host, port: env.OPENGROOVE_MANAGEMENT_CLIENT_PORT, kind: "client" });
    closers.push(clients.close);
    const realms = await startPacketServer({ pool: db.pool, log, host, port: env.OPENGROOVE_MANAGEMENT_REALM_PORT, kind: "realm" });
    closers.push(realms.close);
    return {
      addresses: [`tcp://${host}:${clients.port} (clients)`, `tcp://${host}:${realms.port} (realm servers)`],
      async close() {
        for (const c of closers) await c();
        await db.close();
      },
    };
  } catch (e) {
    for (const c of closers) await c();
    await db.close();
    throw e;
  }
});
