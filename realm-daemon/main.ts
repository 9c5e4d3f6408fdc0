// `npm run realm-daemon`: serves every realm in the database (see daemon.ts).
import "dotenv/config";
import { parseEnv } from "../lib/config/env.ts";
import { createLogger } from "../lib/log.ts";
import { runComponent } from "../lib/runtime/daemon-lifecycle.ts";
import { realmEnvSchema, configFromEnv } from "./config.ts";
import { RealmDaemon } from "./daemon.ts";

const log = createLogger("realm-daemon");

await runComponent("realm-daemon", log, async () => {
  const config = configFromEnv(parseEnv(realmEnvSchema));
  const daemon = new RealmDaemon(config, log);
  // A drain asked from the console is a SIGTERM: the same drain, then exit 0 (daemon-lifecycle.ts).
  daemon.onDrainRequest = () => process.kill(process.pid, "SIGTERM");
  try {
    const addresses = await daemon.start();
    return { addresses, close: () => daemon.stop(), stopTimeoutMs: config.limits.shutdownGraceMs };
  } catch (e) {
    await daemon.stop().catch(() => undefined);
    throw e;
  }
});
