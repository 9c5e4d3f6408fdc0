// `opengroove peers`: the computers of this realm announcing themselves on the LAN (63749/UDP
// multicast, docs/clients.md §5), heard for a few seconds. Only announcements whose signature
// verifies with the key the realm publishes for that computer are listed; the others are
// counted. Listens only: this command announces nothing.
import type { Command } from "../command.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { withSession } from "../session.ts";
import { table } from "../format.ts";
import { generateComputerKeys } from "../../sdk/crypto/keys-core.ts";
import { fileBackend } from "../../sdk/crypto/known-keys-file.ts";
import { KnownKeys, normalizeFingerprint } from "../../sdk/crypto/known-keys.ts";
import { LanDiscovery, type LanPeer } from "../../sdk/lan/discovery.ts";
import { PeerKeyCache } from "../../sdk/lan/peer-keys.ts";
import { LAN_DISCOVERY_PORT, LAN_MULTICAST_GROUP } from "../../sdk/lan/announce.ts";

const REASONS: Record<string, string> = {
  badsignature: "bad signature",
  keymismatch: "key not the one the realm publishes",
  nokey: "no key published on this realm",
  stale: "stale",
  replay: "replayed",
  malformed: "malformed",
  ratelimited: "over the rate limit",
};

export const peers: Command = {
  name: "peers",
  summary: "list the computers of this realm seen on the local network",
  synopsis: "[--wait SECONDS] [--interface ADDRESS]",
  details: [
    "Listens for LAN announcements (UDP multicast) and lists the computers whose signed",
    "announcement matches the key the realm publishes for them. KEY says `verified` when you",
    "checked that computer's fingerprint with `opengroove keys verify`, `CHANGED` when the key",
    "differs from the one you verified or remembered, else `realm` (matches the realm only).",
  ].join("\n"),
  options: {
    wait: { type: "string", value: "SECONDS", description: "how long to listen (default 6)" },
    interface: { type: "string", value: "ADDRESS", description: "the IPv4 address of the network interface to use" },
    "discovery-port": { type: "string", value: "PORT", description: `UDP port (default ${LAN_DISCOVERY_PORT})` },
    group: { type: "string", value: "ADDRESS", description: `multicast group (default ${LAN_MULTICAST_GROUP})` },
  },
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const wait = Number(ctx.str("wait") ?? "6");
    if (!Number.isFinite(wait) || wait <= 0 || wait > 600) throw usageError("--wait takes 0 < SECONDS <= 600");
    const port = Number(ctx.str("discovery-port") ?? LAN_DISCOVERY_PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError("--discovery-port takes 1..65535");
    const account = ctx.store.requireAccount();
    const { seen, rejected } = await withSession(ctx, async (client, a) => {
      const d = new LanDiscovery({
        me: { userId: a.userId, computer: a.computer },
        keys: generateComputerKeys(), // unused: listen-only
        peerKeys: PeerKeyCache.forRealm(client),
        directPort: 1,
        port,
        group: ctx.str("group"),
        interfaceAddress: ctx.str("interface"),
        listenOnly: true,
        peerTtlMs: wait * 1000 + 60_000,
      });
      d.on("socketerror", () => undefined);
      try {
        await d.start();
      } catch (e) {
        d.stop();
        throw new CliError(
          `listening on ${d.group} port ${port}/udp`,
          (e as NodeJS.ErrnoException).code ?? "FAIL",
          (e as Error).message,
          EXIT.other,
          "name the LAN interface with --interface ADDRESS (a multicast route may be missing)",
        );
      }
      await new Promise((r) => setTimeout(r, wait * 1000));
      d.stop();
      return { seen: d.peers(), rejected: { ...d.rejected } };
    });
    const known = await new KnownKeys(fileBackend(ctx.store.knownKeysFile(account.userId, account.computer))).all();
    const keyState = (p: LanPeer) => {
      const k = known.find((e) => e.userId.toLowerCase() === p.userId.toLowerCase() && e.computer === p.computer);
      if (!k) return "realm";
      if (normalizeFingerprint(k.key.fingerprint) !== normalizeFingerprint(p.fingerprint)) return "CHANGED";
      return k.key.verifiedAt ? "verified" : "realm";
    };
    const ignored = Object.entries(rejected).filter(([, n]) => n > 0);
    if (ctx.global.json) {
      ctx.json({
        peers: seen.map((p) => ({
          userId: p.userId,
          computer: p.computer,
          address: p.address,
          port: p.port,
          fingerprint: p.fingerprint,
          key: keyState(p),
        })),
        ignored: Object.fromEntries(ignored),
      });
      return;
    }
    if (!seen.length) ctx.note(`No computer of this realm announced itself within ${wait} s`);
    else {
      const rows = [["USER", "COMPUTER", "ADDRESS", "FINGERPRINT", "KEY"]];
      for (const p of seen) rows.push([p.userId, p.computer, `${p.address}:${p.port}`, p.fingerprint, keyState(p)]);
      ctx.out(table(rows));
    }
    if (ignored.length)
      ctx.note(`Ignored announcements: ${ignored.map(([k, n]) => `${n} ${REASONS[k] ?? k}`).join(", ")}`);
  },
};
