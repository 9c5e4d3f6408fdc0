// Federation test harness: an in-process management server and realm daemons, TLS realm
// listeners on ephemeral loopback ports, fast timings. Two layouts (startRealmNodes): each realm on
// its own fresh database (createTestDb), or every realm on ONE database (as the two default realms
// of an install), each served by its own daemon (serveRealms) so one can stop while others run.
// OG_FEDERATION_LAYOUT=one-db selects the second; the *-one-db.test.ts files run a test file so.
// Also a raw realm-to-realm client that proves a realm's key from that realm's database, to
// play a misbehaving or unknown realm.
import { Writable } from "node:stream";
import pino from "pino";
import { registerAccount } from "../../lib/domain/registration.ts";
import { hashCode, newCode } from "../../lib/domain/registration.ts";
import { CHANNELS, notify } from "../../lib/db/notify.ts";
import { PacketLink, type LinkReply } from "../../lib/federation/packet-client.ts";
import { decodeProofs, encodeProofs, newNonce, realmAuthPayload } from "../../lib/federation/signing.ts";
import { loadSigningKeys, proofsFor } from "../../lib/federation/local-keys.ts";
import { mirrorIdFor } from "../../lib/federation/workspace-mirror.ts";
import { RealmClient } from "../../client/sdk/index.ts";
import { MANAGEMENT_DEFAULTS } from "../../management-daemon/config.ts";
import { startManagementServer, type ManagementServer } from "../../management-daemon/server.ts";
import { ManagementIdentity } from "../../management-daemon/tls-identity.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { FEDERATION_DEFAULTS, type FederationLimits } from "../../realm-daemon/federation/config.ts";
import { createTestDb, type TestDb } from "./db.ts";
import { testRealmConfig } from "./realm.ts";

export const HOST = "127.0.0.1";

export const FAST: Partial<FederationLimits> = {
  managementHeartbeatMs: 300,
  managementReconnectMinMs: 100,
  managementReconnectMaxMs: 500,
  requestTimeoutMs: 5_000,
  handshakeTimeoutMs: 5_000,
  peerCacheFreshMs: 1_000,
  peerRefreshMs: 500,
  outboxPollMs: 50,
  retryBaseMs: 100,
  retryMaxMs: 800,
  chunkBytes: 2 * 65_536,
};

/** Log lines of a daemon, kept for assertions ("refused and logged"). */
function captureLogger(name: string): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString("utf8"));
      if (process.env.OG_TEST_FEDERATION_LOGS) process.stderr.write(`[${name}] ${chunk.toString("utf8")}`);
      cb();
    },
  });
  return { log: pino({ name, level: process.env.OPENGROOVE_LOG_LEVEL ?? "info" }, sink), lines };
}

export interface ManagementHarness {
  db: TestDb;
  address: string;
  clientPort: number;
  /** The management key's fingerprint at start (TLS on both ports, as in production). */
  fingerprint: string;
  identity: ManagementIdentity;
  logs: string[];
  /** A one-time enrollment token (as the console creates them). */
  token(realmId?: string): Promise<string>;
  setStatus(realmId: string, status: "APPROVED" | "REVOKED" | "PENDING"): Promise<void>;
  stop(): Promise<void>;
  /** Starts again on the same ports and database. */
  restart(): Promise<void>;
  drop(): Promise<void>;
}

export async function startManagement(overlapMs = 60_000): Promise<ManagementHarness> {
  const db = await createTestDb();
  const { log, lines } = captureLogger("management");
  const identity = await ManagementIdentity.load(db.pool, log, "localhost", 500);
  let server: ManagementServer | undefined = await startManagementServer({
    identity,
    pool: db.pool,
    log,
    host: HOST,
    clientPort: 0,
    realmPort: 0,
    limits: { ...MANAGEMENT_DEFAULTS, keyOverlapMs: overlapMs },
  });
  const ports = { client: server.clientPort, realm: server.realmPort };
  return {
    db,
    address: `${HOST}:${ports.realm}`,
    clientPort: ports.client,
    fingerprint: identity.fingerprint,
    identity,
    logs: lines,
    async token(realmId) {
      const t = newCode(24);
      await db.pool.query(
        `INSERT INTO enrollment_tokens (id, "tokenHash", "realmId", "expiresAt", "createdBy") VALUES (gen_random_uuid(), $1, $2, now() + interval '1 hour', 'test')`,
        [hashCode(t), realmId ?? null],
      );
      return t;
    },
    async setStatus(realmId, status) {
      await db.pool.query(
        `UPDATE known_realms SET status = $2::text::"KnownRealmStatus", "revokedAt" = CASE WHEN $2::text = 'REVOKED' THEN now() END WHERE "realmId" = $1`,
        [realmId, status],
      );
      await notify(db.pool, CHANNELS.registry, realmId);
    },
    async stop() {
      await server?.close();
      server = undefined;
    },
    async restart() {
      server = await startManagementServer({
        identity,
        pool: db.pool,
        log,
        host: HOST,
        clientPort: ports.client,
        realmPort: ports.realm,
        limits: { ...MANAGEMENT_DEFAULTS, keyOverlapMs: overlapMs },
      });
    },
    async drop() {
      identity.close();
      await server?.close();
      await db.drop();
    },
  };
}

export interface RealmNode {
  realmId: string;
  db: TestDb;
  daemon: RealmDaemon;
  logs: string[];
  port(): number;
  user(username: string, computer?: string): Promise<{ client: RealmClient; userId: string; password: string }>;
  login(username: string, computer: string, password: string): Promise<RealmClient>;
  /** The state of this realm's management link. */
  linkState(): string;
  waitApproved(timeoutMs?: number): Promise<void>;
  /** Another daemon instance serving this realm on the same database (stopped with the node). */
  extraInstance(): Promise<RealmDaemon>;
  stop(): Promise<void>;
  start(): Promise<void>;
  drop(): Promise<void>;
}

export type FederationLayout = "one-db" | "two-db";

export function federationLayout(): FederationLayout {
  return process.env.OG_FEDERATION_LAYOUT === "one-db" ? "one-db" : "two-db";
}

export interface RealmNodeOptions {
  token?: string;
  limits?: Partial<FederationLimits>;
  quotaBytes?: bigint;
  /** Put the realm on this node's database (the owner drops it, after stopping its sharers). */
  shareDbWith?: RealmNode;
  /** The management key fingerprint this realm is configured with ("" = pin on first use). */
  managementFingerprint?: string;
}

/** Realm nodes in the given layout (default: OG_FEDERATION_LAYOUT), started one after the other. */
export async function startRealmNodes(
  names: string[],
  management: string,
  opts: (name: string) => Promise<RealmNodeOptions> | RealmNodeOptions,
  layout: FederationLayout = federationLayout(),
): Promise<RealmNode[]> {
  const nodes: RealmNode[] = [];
  for (const n of names)
    nodes.push(
      await startRealmNode(n, management, {
        ...(await opts(n)),
        shareDbWith: layout === "one-db" ? nodes[0] : undefined,
      }),
    );
  return nodes;
}

export async function startRealmNode(
  name: string,
  management: string,
  opts: RealmNodeOptions = {},
): Promise<RealmNode> {
  const owner = opts.shareDbWith;
  const db = owner ? owner.db : await createTestDb();
  const sharers: RealmNode[] = [];
  const realmId = `${name}.test:63745`;
  await db.pool.query(
    `INSERT INTO realms (id, host, port, slug, name, "registrationMode", "captchaProvider", "userCap", "defaultQuotaBytes", "updatedAt") VALUES ($1, $2, 63745, $3, $4, 'OPEN', 'NONE', 1000, $5, now())`,
    [realmId, `${name}.test`, name, `Realm ${name}`, (opts.quotaBytes ?? 64n * 1024n * 1024n).toString()],
  );
  const { log, lines } = captureLogger(name);
  const config = testRealmConfig(db.url, {
    federation: {
      managementAddress: management,
      managementTls: true,
      managementFingerprint: opts.managementFingerprint ?? "",
      enrollmentToken: opts.token ?? "",
      advertiseHost: HOST,
      plainTcp: false,
      limits: { ...FEDERATION_DEFAULTS, ...FAST, ...opts.limits },
    },
    serveRealms: [realmId],
  });
  const clients: RealmClient[] = [];
  const extra: RealmDaemon[] = [];
  const node: RealmNode = {
    realmId,
    db,
    daemon: new RealmDaemon(config, log),
    logs: lines,
    port() {
      const p = node.daemon.listeners.actualPort(63745);
      if (!p) throw new Error(`${realmId} is not listening`);
      return p;
    },
    async login(username, computer, password) {
      const c = await RealmClient.connect({ host: HOST, port: node.port(), realm: name, timeoutMs: 20_000 });
      clients.push(c);
      await c.authenticate(username, computer, password);
      return c;
    },
    async user(username, computer = "laptop") {
      const password = "correct horse battery";
      const u = await registerAccount(db.pool, { realmId, username, password, captchaPassed: true });
      await db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, $2)`, [
        u.id,
        computer,
      ]);
      return { client: await node.login(username, computer, password), userId: `${realmId}::${u.username}`, password };
    },
    linkState() {
      return node.daemon.federation?.links.get(realmId)?.state ?? "none";
    },
    async waitApproved(timeoutMs = 10_000) {
      await waitFor(
        () => node.daemon.federation?.links.get(realmId)?.usable === true,
        timeoutMs,
        `${realmId} approved by the management server`,
      );
    },
    async extraInstance() {
      const d = new RealmDaemon(config, log);
      extra.push(d);
      await d.start();
      return d;
    },
    async stop() {
      for (const c of clients.splice(0)) c.close();
      await Promise.allSettled(extra.splice(0).map((d) => d.stop()));
      await node.daemon.stop();
    },
    async start() {
      node.daemon = new RealmDaemon(config, log);
      await node.daemon.start();
    },
    async drop() {
      await Promise.allSettled(sharers.map((x) => x.stop()));
      await node.stop().catch(() => undefined);
      if (!owner) await db.drop();
    },
  };
  if (owner) (owner as RealmNode & { sharers?: RealmNode[] }).sharers?.push(node);
  (node as RealmNode & { sharers?: RealmNode[] }).sharers = sharers;
  await node.daemon.start();
  return node;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A raw realm-to-realm connection from `from` (proving its real keys) to `to`: hello + auth.
 * Returns the link and the auth reply (so tests can see refusals).
 */
export async function rawPeer(from: RealmNode, to: RealmNode): Promise<{ link: PacketLink; auth: LinkReply }> {
  const link = await PacketLink.open({
    address: `${HOST}:${to.port()}`,
    tls: true,
    words: ["realm", from.realmId, to.realmId],
    timeoutMs: 5_000,
    maxPacketBytes: 1_048_576,
  });
  const cn = newNonce();
  const hello = await link.request("hello", [cn]);
  if (hello.status !== "OK") return { link, auth: hello };
  const sn = hello.lines.find((l) => l.startsWith("nonce="))!.slice(6);
  if (!decodeProofs(hello.lines).length) throw new Error("server sent no proof");
  const keys = await loadSigningKeys(from.db.pool, from.realmId);
  const auth = await link.request(
    "auth",
    encodeProofs(proofsFor(keys, realmAuthPayload("client", from.realmId, to.realmId, sn, cn, link.binding))),
  );
  return { link, auth };
}

/** Resolves with the message id of the next messageavailable on a client (rejects after timeoutMs). */
export function nextMessage(c: RealmClient, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no messageavailable within ${timeoutMs} ms`)), timeoutMs);
    c.raw.once("messageavailable", (r: { text: string }) => {
      clearTimeout(timer);
      resolve(r.text);
    });
  });
}

/**
 * A workspace `a` creates on `home` with `b` of `peer` as an active member: invited, the
 * invitation seen on `peer`, accepted there, and `b` active on `home`. Returns the workspace's
 * id on `home` (ws) and of its mirror on `peer` (mb).
 */
export async function sharedWorkspace(
  home: RealmNode,
  a: RealmClient,
  peer: RealmNode,
  b: { client: RealmClient; userId: string },
  name: string,
): Promise<{ ws: string; mb: string }> {
  const ws = await a.workspaces.create(name);
  const mb = mirrorIdFor(peer.realmId, home.realmId, ws);
  await a.workspaces.invite(ws, b.userId);
  await waitFor(async () => (await b.client.workspaces.list()).some((w) => w.id === mb), 30_000, "the invitation");
  await b.client.workspaces.accept(mb);
  await waitFor(
    async () => (await a.workspaces.members(ws)).some((x) => x.userId === b.userId && x.status === "active"),
    30_000,
    `${b.userId} active on ${home.realmId}`,
  );
  return { ws, mb };
}

export async function usage(node: RealmNode, userId: string): Promise<bigint> {
  const r = await node.db.pool.query<{ messageBytes: bigint }>(
    `SELECT "messageBytes" FROM users WHERE "realmId" || '::' || username = $1`,
    [userId],
  );
  return BigInt(r.rows[0].messageBytes);
}
