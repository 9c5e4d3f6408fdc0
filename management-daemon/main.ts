// `npm run management-daemon`: the management server (realm registry and keys).
import "dotenv/config";
import { parseEnv } from "../lib/config/env.ts";
import { connectDb } from "../lib/db/client.ts";
import { createLogger } from "../lib/log.ts";
import { runComponent } from "../lib/runtime/daemon-lifecycle.ts";
import { limitsFromEnv, managementEnvSchema } from "./config.ts";
import { startManagementServer } from "./server.ts";

const log = createLogger("management-daemon");

await runComponent("management-daemon", log, async () => {
  const env = parseEnv(managementEnvSchema);
  const db = connectDb(env.DATABASE_URL, { max: 5, applicationName: "opengroove-management" });
  const host = env.OPENGROOVE_MANAGEMENT_BIND_HOST;
  try {
    const server = await startManagementServer({
      pool: db.pool,
      log,
      host,
      clientPort: env.OPENGROOVE_MANAGEMENT_CLIENT_PORT,
      realmPort: env.OPENGROOVE_MANAGEMENT_REALM_PORT,
      limits: limitsFromEnv(env),
    });
    return {
      addresses: [`tcp://${host}:${server.clientPort} (clients)`, `tcp://${host}:${server.realmPort} (realm servers)`],
      async close() {
        await server.close();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
});
