// `opengroove whoami`: the stored login; --check also logs in to verify it.
import type { Command } from "../command.ts";
import { withSession } from "../session.ts";

export const whoami: Command = {
  name: "whoami",
  summary: "show the stored login (user id, computer, realm address)",
  synopsis: "[--check]",
  options: { check: { type: "boolean", description: "also log in to verify the credentials still work" } },
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const a = ctx.store.requireAccount();
    if (ctx.flag("check")) await withSession(ctx, async () => undefined);
    const pin = ctx.store.pin(a.realmId);
    if (ctx.global.json) {
      ctx.json({
        userId: a.userId,
        computer: a.computer,
        realmId: a.realmId,
        host: a.host,
        port: a.port,
        transport: a.transport,
        fingerprint: pin?.fingerprint ?? null,
        verified: ctx.flag("check"),
      });
      return;
    }
    ctx.out(
      `${a.userId}\n  computer:  ${a.computer}\n  address:   ${a.host}:${a.port} (${a.transport})\n  realm key: ${pin ? `sha256 ${pin.fingerprint}` : "not pinned"}\n${ctx.flag("check") ? "  login:     ok\n" : ""}`,
    );
  },
};
