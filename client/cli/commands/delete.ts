// `opengroove delete <id>...`: removes messages from this computer's inbox (the sender's
// delete retracts a message it sent).
import type { Command } from "../command.ts";
import { step } from "../errors.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { withSession } from "../session.ts";

export const del: Command = {
  name: "delete",
  summary: "delete messages from this computer's inbox",
  synopsis: "<id> [<id>...]",
  options: {},
  minArgs: 1,
  maxArgs: 1000,
  async run(ctx) {
    const results = await withSession(ctx, async (client) => {
      const out: Array<{ id: string; released: bigint }> = [];
      for (const id of ctx.args)
        out.push({ id, released: await step(`deleting message ${id}`, () => client.deleteMessage(id)) });
      return out;
    });
    for (const r of results) {
      if (ctx.global.json) ctx.json({ id: r.id, deleted: true, releasedBytes: r.released });
      else
        ctx.out(
          `Deleted ${r.id}${r.released > 0n ? ` (${formatBytes(r.released)} released from the sender's quota)` : ""}\n`,
        );
    }
  },
};
