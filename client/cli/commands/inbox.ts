// `opengroove inbox`: messages waiting for this computer (id, sender, size, subject).
import type { Command } from "../command.ts";
import { step } from "../errors.ts";
import { table } from "../format.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { describeMessage, type MessageSummary } from "../messages.ts";
import { withSession } from "../session.ts";
import { secureSession } from "../secure.ts";

export const inbox: Command = {
  name: "inbox",
  summary: "list the messages waiting for this computer",
  synopsis: "[--json]",
  options: {},
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const list = await withSession(ctx, async (client, account) => {
      const sm = await secureSession(ctx, client, account);
      const ids = await step("listing the inbox", () => client.inbox());
      const out: MessageSummary[] = [];
      for (const id of ids) out.push(await step(`reading message ${id}`, () => describeMessage(client, id, sm)));
      return out;
    });
    if (ctx.global.json) {
      ctx.json(
        list.map((m) => ({
          id: m.id,
          sender: m.sender,
          senderComputer: m.senderComputer,
          size: m.size ?? m.storedBytes,
          subject: m.subject ?? null,
          filename: m.filename ?? null,
          contentType: m.contentType ?? null,
          encrypted: m.encrypted,
        })),
      );
      return;
    }
    if (!list.length) {
      ctx.note("No messages waiting");
      return;
    }
    const rows = [["ID", "FROM", "SIZE", "SUBJECT"]];
    for (const m of list)
      rows.push([
        m.id,
        m.sender,
        formatBytes(m.size ?? m.storedBytes),
        m.subject ?? (m.filename ? `(file ${m.filename})` : ""),
      ]);
    ctx.out(table(rows));
  },
};
