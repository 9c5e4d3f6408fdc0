// TLS / plain TCP transport of the realm daemon: the shared server-side stream handling
// (lib/protocol/server-stream.ts) with this daemon's realm selection, and either a client
// Connection or, for "OpenGroove realm <id> ...", a federation peer.
import type net from "node:net";
import { acceptStream } from "../lib/protocol/server-stream.ts";
import { Connection, type Transport } from "./connection.ts";
import type { RealmDaemon } from "./daemon.ts";
import type { RealmInfo } from "./state.ts";
import { channelBinding, peerRealmOf } from "./federation/greeting.ts";

export function handleStreamSocket(
  daemon: RealmDaemon,
  socket: net.Socket,
  localPort: number,
  kind: "tls" | "tcp",
  /** The real client "address:port" when a balancer sent it (PROXY protocol). */
  remote?: string,
  /** A port that serves one realm only (the legacy TLS port): the greeting may not pick another. */
  fixedRealmId?: string,
): void {
  const limits = daemon.config.limits;
  let realm: RealmInfo | undefined;
  acceptStream(socket, {
    remoteAddress: remote,
    maxPacketBytes: limits.maxPacketBytes,
    greetingTimeoutMs: limits.greetingTimeoutMs,
    maxWriteBufferBytes: limits.maxWriteBufferBytes,
    onRefused: () => daemon.metrics.errors.inc(1, { command: "greeting" }),
    onGreeting(words) {
      if (fixedRealmId) {
        const found = daemon.resolveFixedRealm(fixedRealmId, words);
        if (!found.ok) return found.error;
        realm = found.value;
        return null;
      }
      const found = daemon.resolveRealm(localPort, words);
      if (!found.ok) return found.error;
      realm = found.value;
      return null;
    },
    onReady(stream, words) {
      const transport: Transport = {
        kind,
        remoteAddress: stream.remoteAddress,
        send: (p) => stream.send(p),
        close: () => stream.close(),
      };
      // A realm server connecting ("OpenGroove realm <id> ...") is handed to federation.
      const peer = peerRealmOf(words);
      return peer && daemon.federation
        ? daemon.federation.acceptPeer(realm!, peer, transport, channelBinding(socket, kind))
        : new Connection(daemon, realm!, transport);
    },
  });
}
