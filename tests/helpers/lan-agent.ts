// A LAN client for the network-namespace test (tests/integration/lan-netns.test.ts), started
// inside a namespace with `ip netns exec`. It logs in to the realm, publishes fresh computer
// keys, runs a LanNode on its LAN address, and talks to the test in JSON lines: events on
// stdout, commands on stdin (each answered with { ev: "result", tag, ... }).
import readline from "node:readline";
import { RealmClient } from "../../client/sdk/index.ts";
import { generateComputerKeys } from "../../client/sdk/crypto/keys-core.ts";
import { publishOwnKeys } from "../../client/sdk/crypto/key-directory.ts";
import { fromBase64Url, toBase64Url } from "../../client/sdk/crypto/bytes.ts";
import { encodeAnnouncement } from "../../client/sdk/lan/announce.ts";
import { LanNode, type LanImessage, type LanWorkspaceChange } from "../../client/sdk/lan/lan-node.ts";
import type { LanPeer } from "../../client/sdk/lan/discovery.ts";

interface AgentConfig {
  realmHost: string;
  realmPort: number;
  realmSlug: string;
  username: string;
  password: string;
  computer: string;
  lanAddress: string;
  group: string;
  discoveryPort: number;
  directPort: number;
}

const cfg = JSON.parse(process.env.OG_LAN_AGENT ?? "{}") as AgentConfig;
const emit = (v: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x))}\n`);

const client = await RealmClient.connect({
  host: cfg.realmHost,
  port: cfg.realmPort,
  realm: cfg.realmSlug,
  timeoutMs: 20_000,
});
const userId = await client.authenticate(cfg.username, cfg.computer, cfg.password);
const me = { userId, computer: cfg.computer };
const keys = generateComputerKeys();
await publishOwnKeys(client, me, keys);
const node = new LanNode({
  client,
  me,
  keys,
  directHost: cfg.lanAddress,
  directPort: cfg.directPort,
  ackTimeoutMs: 1_500,
  backoffMs: 30_000,
  realmSyncDelayMs: 3_000,
  discovery: {
    group: cfg.group,
    port: cfg.discoveryPort,
    interfaceAddress: cfg.lanAddress,
    intervalMs: 1_000,
    minGapMs: 200,
  },
});
node.on("peer", (p: LanPeer) =>
  emit({ ev: "peer", userId: p.userId, computer: p.computer, address: p.address, fingerprint: p.fingerprint }),
);
node.discovery.on("rejected", (r: { reason: string; from: string }) => emit({ ev: "rejected", ...r }));
node.on("imessage", (m: LanImessage) => emit({ ev: "imessage", ...m }));
node.on("workspacechange", (c: LanWorkspaceChange) => emit({ ev: "workspacechange", ...c, data: c.data.toString() }));
await node.start();
emit({ ev: "ready", userId, port: node.server.port });

async function run(c: Record<string, string>): Promise<Record<string, unknown>> {
  switch (c.cmd) {
    case "imessage":
      return await node.sendImmediate(c.to, c.computer, c.text);
    case "publish":
      return await node.publishChange(c.ws, Buffer.from(c.text));
    case "wscreate":
      return { ws: await client.workspaces.create(c.name) };
    case "wsinvite":
      return { member: await client.workspaces.invite(c.ws, c.user) };
    case "wsaccept":
      await client.workspaces.accept(c.ws);
      // Start from the head: later changes are the ones the test watches.
      await node.syncWorkspace(c.ws);
      return {};
    case "raw":
      await node.discovery.sendRaw(fromBase64Url(c.b64)!);
      return {};
    case "announcement":
      return {
        b64: toBase64Url(
          encodeAnnouncement(
            { userId, computer: cfg.computer, addresses: [cfg.lanAddress], port: node.server.port },
            keys,
          ),
        ),
      };
    case "state":
      return { peers: node.peers().map((p) => `${p.userId} ${p.computer}`), rejected: node.discovery.rejected };
    case "exit":
      await node.stop();
      client.close();
      setTimeout(() => process.exit(0), 50);
      return {};
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const c = JSON.parse(line) as Record<string, string>;
  run(c).then(
    (r) => emit({ ev: "result", tag: c.tag, ok: true, ...r }),
    (e: Error) => emit({ ev: "result", tag: c.tag, ok: false, error: e.message }),
  );
});
process.stdin.on("end", () => process.exit(0));
