// The management server's two ports (63746 clients, 63747 realm servers) speak the same
// greeting and packet format as realms (docs/protocol.md). Clients list realms and fetch key
// fingerprints; realm servers enroll, prove possession of their key, heartbeat, rotate keys and
// look up other realms (docs/federation.md). Requests on one connection run in arrival order.
import crypto from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import type { Logger } from "pino";
import type pg from "pg";
import { decodeRequest, encodeReply, encodeErrorNotification, ProtocolError } from "../lib/protocol/index.ts";
import { acceptStream } from "../lib/protocol/server-stream.ts";
import { DomainError } from "../lib/domain/errors.ts";
import { listenOrFail } from "../lib/runtime/daemon-lifecycle.ts";
import { MANAGEMENT_DEFAULTS, type ManagementLimits } from "./config.ts";
import { CLIENT_COMMANDS, REALM_COMMANDS } from "./commands/index.ts";
import { realmStatus } from "./registry.ts";
import { CHANNEL_BINDING_LABEL } from "../lib/federation/signing.ts";
import type { ManagementIdentity } from "./tls-identity.ts";
import { ManagementState, type ManagementResult, type ManagementSession } from "./session.ts";

export interface PacketServerOptions {
  pool: pg.Pool;
  log: Logger;
  host: string;
  port: number;
  kind: "client" | "realm";
  limits?: ManagementLimits;
  /** TLS with the management key (the default); absent = plain TCP (loopback only, see config.ts). */
  identity?: ManagementIdentity;
}

async function execute(
  s: ManagementSession,
  kind: "client" | "realm",
  command: string,
  args: Buffer,
): Promise<ManagementResult & { close?: boolean }> {
  const spec = (kind === "client" ? CLIENT_COMMANDS : REALM_COMMANDS).get(command);
  if (!spec) return { status: "UNKNOWNCOMMAND", data: `unknown command "${command}" on the management ${kind} port` };
  if (!spec.states.includes(s.state))
    return {
      status: "NOTALLOWED",
      data:
        s.state === ManagementState.Anonymous
          ? `${command}: authenticate as a realm first`
          : `${command}: already authenticated`,
    };
  if (s.state === ManagementState.Realm) {
    // Revocation takes effect on the very next request of an open connection.
    const status = await realmStatus(s.pool, s.realmId!);
    if (status !== "APPROVED") {
      s.log.warn({ realmId: s.realmId, status }, "realm no longer approved; closing");
      return {
        status: "UNAUTHORIZED",
        data: `realm ${s.realmId} is ${status === "REVOKED" ? "revoked" : "no longer approved"} by the management server's administrator`,
        close: true,
      };
    }
  }
  try {
    return await spec.handle(s, args);
  } catch (e) {
    if (e instanceof DomainError) return { status: e.code, data: e.message };
    if (e instanceof ProtocolError) return { status: e.status, data: e.reason };
    s.log.error({ err: e, command }, "management command failed");
    return { status: "INTERNALERROR", data: "internal error; see the management daemon's log" };
  }
}

export async function startPacketServer(opts: PacketServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const limits = opts.limits ?? MANAGEMENT_DEFAULTS;
  const perIp = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket) => {
    const ip = socket.remoteAddress ?? "?";
    if ((perIp.get(ip) ?? 0) >= limits.maxConnectionsPerIp) return void socket.destroy();
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    sockets.add(socket);
    const id = crypto.randomUUID();
    const session: ManagementSession = {
      id,
      log: opts.log.child({ conn: id, port: opts.kind, remote: `${ip}:${socket.remotePort ?? 0}` }),
      pool: opts.pool,
      limits,
      state: ManagementState.Anonymous,
      tls: socket instanceof tls.TLSSocket,
      // Channel binding: realm proofs sign it, so a relayed proof does not verify here.
      binding:
        socket instanceof tls.TLSSocket
          ? socket.exportKeyingMaterial(32, CHANNEL_BINDING_LABEL, Buffer.alloc(0))
          : Buffer.alloc(0),
      remoteIp: ip,
    };
    acceptStream(socket, {
      maxPacketBytes: limits.maxPacketBytes,
      greetingTimeoutMs: limits.greetingTimeoutMs,
      maxWriteBufferBytes: limits.maxWriteBufferBytes,
      onGreeting: () => null,
      onReady(transport) {
        let chain = Promise.resolve();
        let closed = false;
        const send = (p: Buffer) => {
          if (!transport.send(p)) close();
        };
        const close = () => {
          if (closed) return;
          closed = true;
          transport.close();
        };
        const fail = (e: ProtocolError) => {
          send(encodeErrorNotification(e));
          close();
        };
        // Realms heartbeat well inside the idle timeout; anything quieter is closed.
        socket.setTimeout(limits.idleTimeoutMs, () => fail(new ProtocolError("TIMEOUT", "idle")));
        return {
          fail,
          close,
          onPacket(f) {
            if (closed) return;
            const req = decodeRequest(f);
            if (!req.ok) return fail(req.error);
            const { id: packetId, command, args } = req.value;
            chain = chain.then(async () => {
              if (closed) return;
              const out = await execute(session, opts.kind, command, args);
              if (closed) return;
              send(encodeReply(packetId, command, out.status, out.data));
              if (out.close) close();
            });
          },
        };
      },
    });
    socket.on("close", () => {
      sockets.delete(socket);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
  };
  const server = opts.identity ? tls.createServer(opts.identity.options(), onSocket) : net.createServer(onSocket);
  if (server instanceof tls.Server) {
    opts.identity!.serve(server);
    server.on("tlsClientError", (e) => opts.log.debug({ err: e.message }, "TLS handshake failed"));
  }
  const port = await listenOrFail(
    server,
    opts.port,
    opts.host,
    opts.kind === "client"
      ? "management clients, OPENGROOVE_MANAGEMENT_CLIENT_PORT"
      : "management realms, OPENGROOVE_MANAGEMENT_REALM_PORT",
  );
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}

export interface ManagementServer {
  clientPort: number;
  realmPort: number;
  close(): Promise<void>;
}

/** Both ports on one pool (the daemon's main, and in-process in tests). */
export async function startManagementServer(
  opts: Omit<PacketServerOptions, "port" | "kind"> & { clientPort: number; realmPort: number },
): Promise<ManagementServer> {
  const clients = await startPacketServer({ ...opts, port: opts.clientPort, kind: "client" });
  try {
    const realms = await startPacketServer({ ...opts, port: opts.realmPort, kind: "realm" });
    return {
      clientPort: clients.port,
      realmPort: realms.port,
      async close() {
        await Promise.all([clients.close(), realms.close()]);
      },
    };
  } catch (e) {
    await clients.close();
    throw e;
  }
}
