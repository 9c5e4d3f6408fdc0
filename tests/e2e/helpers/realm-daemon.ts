// A real realm daemon running in the Playwright worker on the e2e database, for the specs that
// need realm users online: starting it, SDK clients of its realms, and the forward of
// OG_E2E_REALM_WS_PORT (the WebSocket port playwright.config.ts gives the web server's browser
// mailbox) to its ephemeral HTTP port, and the end-to-end layer of an SDK client.
import net from "node:net";
import { createLogger } from "../../../lib/log.ts";
import { RealmDaemon } from "../../../realm-daemon/daemon.ts";
import type { RealmDaemonConfig } from "../../../realm-daemon/config.ts";
import { RealmClient } from "../../../client/sdk/index.ts";
import { SecureMessaging } from "../../../client/sdk/secure-messages.ts";
import { generateComputerKeys, type ComputerKeys } from "../../../client/sdk/crypto/keys-core.ts";
import { KnownKeys, memoryBackend } from "../../../client/sdk/crypto/known-keys.ts";
import { urlFor } from "../../helpers/db.ts";
import { testRealmConfig } from "../../helpers/realm.ts";
import { e2eDbName } from "./e2e-db.ts";

/** Started on ephemeral ports; `config` adds to or overrides the defaults (limits, serveRealms, federation). */
export async function startE2eRealmDaemon(
  logName: string,
  webUrl: string,
  config: Partial<RealmDaemonConfig> = {},
): Promise<RealmDaemon> {
  const daemon = new RealmDaemon(
    testRealmConfig(urlFor(e2eDbName()), { webUrl, ...config }),
    createLogger(logName, process.env.OPENGROOVE_LOG_LEVEL ?? "warn"),
  );
  await daemon.start();
  return daemon;
}

/** An SDK client connected (not signed in) to `realm` on the daemon's TLS listener for its port. */
export function connectTo(daemon: RealmDaemon, realm: { port: number; slug: string }): Promise<RealmClient> {
  return RealmClient.connect({
    host: "127.0.0.1",
    port: daemon.listeners.actualPort(realm.port)!,
    realm: realm.slug,
    timeoutMs: 20_000,
  });
}

/** Forwards OG_E2E_REALM_WS_PORT to the daemon's HTTP port; close() ends the open connections too. */
export async function forwardRealmWebSocket(daemon: RealmDaemon): Promise<{ close(): Promise<void> }> {
  const piped = new Set<net.Socket>();
  const proxy = net.createServer((s) => {
    const t = net.connect(daemon.httpPort!, "127.0.0.1");
    for (const x of [s, t]) {
      piped.add(x);
      x.on("close", () => piped.delete(x));
      x.on("error", () => (x === s ? t : s).destroy());
    }
    s.pipe(t).pipe(s);
  });
  await new Promise<void>((resolve, reject) =>
    proxy.once("error", reject).listen(Number(process.env.OG_E2E_REALM_WS_PORT), "127.0.0.1", resolve),
  );
  return {
    async close() {
      for (const s of piped) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}

/** The end-to-end layer of an SDK client's computer, in memory; publish its keys with publishKeys(). */
export function secureMessaging(
  client: RealmClient,
  userId: string,
  computer: string,
  keys: ComputerKeys = generateComputerKeys(),
): SecureMessaging {
  return new SecureMessaging(
    client,
    { userId, computer },
    { current: keys, previous: [] },
    new KnownKeys(memoryBackend()),
  );
}
