// `npm run management-daemon`: the management server (realm registry and keys).
import "dotenv/config";
import { parseEnv } from "../lib/config/env.ts";
import { connectDb } from "../lib/db/client.ts";
import { createLogger } from "../lib/log.ts";
import { runComponent } from "../lib/runtime/daemon-lifecycle.ts";
import { checkTransport, limitsFromEnv, managementEnvSchema, proxyProtocolFromEnv } from "./config.ts";
import { startManagementServer } from "./server.ts";
import { ManagementIdentity } from "./tls-identity.ts";

const log = createLogger("management-daemon");

await runComponent("management-daemon", log, async () => {
  const env = parseEnv(managementEnvSchema);
  checkTransport(env);
  const proxyProtocol = proxyProtocolFromEnv(env);
  const db = connectDb(env.DATABASE_URL, { max: 5, applicationName: "opengroove-management" });
  const host = env.OPENGROOVE_MANAGEMENT_BIND_HOST;
  let identity: ManagementIdentity | undefined;
  try {
    // TLS with the management server's own key (made on first start) unless plain TCP on
    // loopback was asked for explicitly.
    if (!env.OPENGROOVE_MANAGEMENT_PLAIN_TCP) identity = await ManagementIdentity.load(db.pool, log);
    if (identity)
      log.info({ fingerprint: identity.fingerprint }, "management key (give this fingerprint to realms and clients)");
    else
      log.warn("management ports on plain TCP (OPENGROOVE_MANAGEMENT_PLAIN_TCP): loopback only, no pinning possible");
    const server = await startManagementServer({
      identity,
      pool: db.pool,
      log,
      host,
      clientPort: env.OPENGROOVE_MANAGEMENT_CLIENT_PORT,
      realmPort: env.OPENGROOVE_MANAGEMENT_REALM_PORT,
      limits: limitsFromEnv(env),
      proxyProtocol,
    });
    if (proxyProtocol)
      log.info(proxyProtocol, "PROXY protocol v2 expected from the balancers on these management ports");
    const scheme = identity ? "tls" : "tcp";
    return {
      addresses: [
        `${scheme}://${host}:${server.clientPort} (clients)`,
        `${scheme}://${host}:${server.realmPort} (realm servers)`,
        ...(identity ? [`sha256:${identity.fingerprint} (management key)`] : []),
      ],
      async close() {
        identity?.close();
        await server.close();
        await db.close();
      },
    };
  } catch (e) {
    identity?.close();
    await db.close();
    throw e;
  }
});
