// The management server's two ports (63746 clients, 63747 realm servers) speak the same
// greeting and packet format as realms. Clients ask which realms exist and their key
// fingerprints; realm enrollment and key exchange on 63747 arrive with federation (issue 4).
import net from "node:net";
import type { Logger } from "pino";
import type pg from "pg";
import { GreetingParser, FrameParser, SERVER_GREETING, SYNC_BYTE, encodeFrame, encodeGreetingError, decodeRequest, encodeReply, encodeErrorNotification, splitExactFields, ProtocolError, type PacketData, type StatusWord } from "../lib/protocol/index.ts";
import { listenOrFail } from "../lib/runtime/daemon-lifecycle.ts";
import { MANAGEMENT_DEFAULTS } from "./config.ts";

type Handler = (pool: pg.Pool, args: Buffer) => Promise<{ status: StatusWord; data?: PacketData }>;

const CLIENT_COMMANDS: Record<string, Handler> = {
  ping: async () => ({ status: "OK", data: "pong" }),
  /** listrealms: one realm per line, tab-separated: id, name, registration, captcha (true|false), signup URL, description. */
  listrealms: async (pool) => {
    const r = await pool.query<{ realmId: string; name: string; registrationMode: string; captchaRequired: boolean; signupUrl: string; description: string }>(
      `SELECT "realmId", name, "registrationMode", "captchaRequired", "signupUrl", description FROM known_realms WHERE status = 'APPROVED' ORDER BY name`,
    );
    return { status: "OK", data: r.rows.map((x) => [x.realmId, x.name, x.registrationMode.toLowerCase(), x.captchaRequired, x.signupUrl, x.description.replace(/[\t\r\n]+/g, " ")].join("\t")) };
  },
  /** getrealmkeys: realm id. One line per valid key: fingerprint, valid-from, valid-until (ISO or "-"). */
  getrealmkeys: async (pool, args) => {
    const f = splitExactFields(args, 1);
    if (!f.ok) return { status: "BADARGUMENTS", data: "expected: realm id" };
    const r = await pool.query<{ fingerprint: string; validFrom: Date; validUntil: Date | null }>(
      `SELECT k.fingerprint, k."validFrom", k."validUntil" FROM known_realm_keys k JOIN known_realms r ON r."realmId" = k."realmId"
        WHERE k."realmId" = $1 AND r.status = 'APPROVED' AND k."revokedAt" IS NULL AND (k."validUntil" IS NULL OR k."validUntil" > now()) ORDER BY k."validFrom" DESC`,
      [f.value[0]],
    );
    if (!r.rows.length) return { status: "NOSUCHREALM", data: `no approved realm ${f.value[0]}` };
    return { status: "OK", data: r.rows.map((k) => `${k.fingerprint}\t${k.validFrom.toISOString()}\t${k.validUntil?.toISOString() ?? "-"}`) };
  },
};

const REALM_COMMANDS: Record<string, Handler> = {
  ping: CLIENT_COMMANDS.ping,
  getrealmkeys: CLIENT_COMMANDS.getrealmkeys,
};

export async function startPacketServer(opts: { pool: pg.Pool; log: Logger; host: string; port: number; kind: "client" | "realm" }): Promise<{ port: number; close(): Promise<void> }> {
  const table = opts.kind === "client" ? CLIENT_COMMANDS : REALM_COMMANDS;
  const perIp = new Map<string, number>();
  const server = net.createServer((socket) => {
    const ip = socket.remoteAddress ?? "?";
    if ((perIp.get(ip) ?? 0) >= MANAGEMENT_DEFAULTS.maxConnectionsPerIp) return void socket.destroy();
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    socket.on("error", () => undefined);
    const greeting = new GreetingParser();
    const frames = new FrameParser({ maxPacketBytes: MANAGEMENT_DEFAULTS.maxPacketBytes });
    let ready = false;
    let chain = Promise.resolve();
    const send = (p: Buffer) => socket.write(encodeFrame(p, MANAGEMENT_DEFAULTS.maxPacketBytes * 16));
    const idle = () => socket.setTimeout(ready ? MANAGEMENT_DEFAULTS.idleTimeoutMs : MANAGEMENT_DEFAULTS.greetingTimeoutMs);
    idle();
    socket.on("timeout", () => {
      if (ready) send(encodeErrorNotification(new ProtocolError("TIMEOUT", "idle")));
      else socket.write(encodeGreetingError(new ProtocolError("TIMEOUT", "no greeting")));
      socket.end();
    });
    const onPackets = (chunk: Buffer) => {
      const r = frames.push(chunk);
      for (const f of r.frames) {
        const req = decodeRequest(f);
        if (!req.ok) {
          send(encodeErrorNotification(req.error));
          return void socket.end();
        }
        const { id, command, args } = req.value;
        chain = chain.then(async () => {
          const h = table[command];
          let out: { status: StatusWord; data?: PacketData };
          if (!h) out = { status: "UNKNOWNCOMMAND", data: `unknown command "${command}" on the management ${opts.kind} port` };
          else {
            try {
              out = await h(opts.pool, args);
            } catch (e) {
              opts.log.error({ err: e, command }, "management command failed");
              out = { status: "INTERNALERROR", data: "internal error" };
            }
          }
          if (!socket.destroyed) send(encodeReply(id, command, out.status, out.data));
        });
      }
      if (r.error) {
        send(encodeErrorNotification(r.error));
        socket.end();
      }
    };
    socket.on("data", (chunk: Buffer) => {
      idle();
      if (ready) return onPackets(chunk);
      for (const ev of greeting.feed(chunk)) {
        if (ev.type === "error") {
          socket.end(encodeGreetingError(ev.error));
          return;
        }
        if (ev.type === "greeting") socket.write(SERVER_GREETING);
        if (ev.type === "done") {
          ready = true;
          socket.write(SYNC_BYTE);
          if (ev.leftover.length) onPackets(ev.leftover);
          return;
        }
      }
    });
    socket.on("close", () => {
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
  });
  const port = await listenOrFail(server, opts.port, opts.host, opts.kind === "client" ? "management clients, OPENGROOVE_MANAGEMENT_CLIENT_PORT" : "management realms, OPENGROOVE_MANAGEMENT_REALM_PORT");
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
