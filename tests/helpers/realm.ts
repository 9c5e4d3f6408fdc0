// Starts a real realm daemon in this process on a fresh test database: TLS listeners on
// ephemeral loopback ports, the seeded realms, and helpers to make users and clients.
import { createLogger } from "../../lib/log.ts";
import { seed } from "../../lib/domain/seed.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { REALM_DEFAULTS, type RealmDaemonConfig } from "../../realm-daemon/config.ts";
import { RealmClient } from "../../client/sdk/index.ts";
import { createTestDb, type TestDb } from "./db.ts";

export const HOST = "127.0.0.1";

/** A realm daemon's configuration for tests: on `databaseUrl`, loopback, ephemeral TLS ports, no plain TCP. */
export function testRealmConfig(databaseUrl: string, extra: Partial<RealmDaemonConfig> = {}): RealmDaemonConfig {
  return {
    databaseUrl,
    bindHost: HOST,
    httpPort: 0,
    plainTcp: false,
    ephemeralPorts: true,
    webUrl: "http://web.test",
    limits: { ...REALM_DEFAULTS },
    ...extra,
  };
}

export interface RealmHarness {
  db: TestDb;
  daemon: RealmDaemon;
  /** Realm id of the seeded open realm (captcha: ALTCHA) and invite realm. */
  openRealm: string;
  inviteRealm: string;
  port(realmId: string): number;
  /** A test realm with no captcha, open registration. */
  plainRealm: string;
  connect(realmId: string, extra?: Partial<Parameters<typeof RealmClient.connect>[0]>): Promise<RealmClient>;
  /** Registers a user directly (domain rule) and creates one computer; returns a logged-in client. */
  user(
    realmId: string,
    username: string,
    opts?: { computer?: string; password?: string },
  ): Promise<{ client: RealmClient; userId: string; password: string }>;
  stop(): Promise<void>;
}

export async function startRealmHarness(
  overrides: Partial<RealmDaemonConfig["limits"]> = {},
  extraConfig: Partial<RealmDaemonConfig> = {},
): Promise<RealmHarness> {
  const db = await createTestDb();
  await seed(db.prisma, {
    publicHost: "realm.test",
    adminUsername: "admin",
    adminPassword: "admin-password-for-tests",
  });
  const plainRealm = "plain.test:63999";
  await db.prisma.realm.create({
    data: {
      id: plainRealm,
      host: "plain.test",
      port: 63999,
      slug: "plain",
      name: "Plain",
      registrationMode: "OPEN",
      captchaProvider: "NONE",
      userCap: 1000,
      defaultQuotaBytes: 10n * 1024n * 1024n,
    },
  });
  const config = testRealmConfig(db.url, { limits: { ...REALM_DEFAULTS, ...overrides }, ...extraConfig });
  const daemon = new RealmDaemon(config, createLogger("realm-test", process.env.OPENGROOVE_LOG_LEVEL ?? "warn"));
  await daemon.start();
  const clients: RealmClient[] = [];
  const h: RealmHarness = {
    db,
    daemon,
    openRealm: "realm.test:63745",
    inviteRealm: "realm.test:63741",
    plainRealm,
    port(realmId) {
      const r = daemon.realmById(realmId);
      const p = r && daemon.listeners.actualPort(r.port);
      if (!p) throw new Error(`realm ${realmId} is not served`);
      return p;
    },
    async connect(realmId, extra = {}) {
      const r = daemon.realmById(realmId)!;
      const c = await RealmClient.connect({
        host: HOST,
        port: h.port(realmId),
        realm: r.slug,
        timeoutMs: 20_000,
        ...extra,
      });
      clients.push(c);
      return c;
    },
    async user(realmId, username, opts = {}) {
      const password = opts.password ?? "correct horse battery";
      const u = await registerAccount(db.pool, { realmId, username, password, captchaPassed: true });
      const computer = opts.computer ?? "laptop";
      await db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, $2)`, [
        u.id,
        computer,
      ]);
      const client = await h.connect(realmId);
      await client.authenticate(username, computer, password);
      return { client, userId: `${realmId}::${u.username}`, password };
    },
    async stop() {
      for (const c of clients) c.close();
      await daemon.stop();
      await db.drop();
    },
  };
  return h;
}
