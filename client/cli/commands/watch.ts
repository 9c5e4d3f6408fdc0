// `opengroove watch`: stays connected and prints one line per notification (new messages,
// immediate messages, bans) until Ctrl-C or the connection drops.
import type { Reply } from "../../sdk/index.ts";
import type { Command } from "../command.ts";
import { EXIT } from "../errors.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { decodeImmediateMessagePush } from "../../../lib/protocol/pushes.ts";
import { describeMessage } from "../messages.ts";
import { failWhenLost, openSession } from "../session.ts";
import { secureSession } from "../secure.ts";
import { escapeControls } from "../safe-text.ts";

export const watch: Command = {
  name: "watch",
  summary: "stay connected and print live notifications (new messages, immediate messages, subscriptions)",
  synopsis: "[--json]",
  details: 'Lines go to stdout as they arrive; with --json one JSON object per line ({"event": ...}).',
  options: {},
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const { client, account } = await openSession(ctx);
    const sm = await secureSession(ctx, client, account).catch((e: unknown) => {
      client.close();
      throw e;
    });
    const time = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const emit = (event: string, fields: Record<string, string | number | null>, line: string) => {
      if (ctx.global.json) ctx.json({ event, time: new Date().toISOString(), ...fields });
      // One line per notification: a sender's subject or file name, or a hostile server's text,
      // could otherwise add lines that look like notifications (ctx.out keeps newlines).
      else ctx.out(`${time()} ${escapeControls(line, true)}\n`);
    };
    client.on("messageavailable", (r: Reply) => {
      const id = r.text.trim();
      describeMessage(client, id, sm).then(
        (m) =>
          emit(
            "messageavailable",
            {
              id,
              sender: m.sender,
              senderComputer: m.senderComputer,
              size: m.size ?? m.storedBytes,
              subject: m.subject ?? null,
              filename: m.filename ?? null,
            },
            `message ${id} from ${m.sender} (${formatBytes(m.size ?? m.storedBytes)})${m.subject ? `: ${m.subject}` : m.filename ? `: file ${m.filename}` : ""}`,
          ),
        () => emit("messageavailable", { id }, `message ${id}`),
      );
    });
    client.on("receiveimessage", (r: Reply) => {
      const m = decodeImmediateMessagePush(r.data);
      const { from, fromComputer, text } = m ?? { from: "", fromComputer: "", text: r.text };
      emit("receiveimessage", { from, fromComputer, text }, `imessage from ${from} (${fromComputer}): ${text}`);
    });
    client.on("subscriptionevent", (r: Reply) => {
      const [type, onUser, onComputer, onSetting] = r.text.split("\n");
      const what = `${type} of ${onUser}${onComputer ? ` computer ${onComputer}` : ""}${onSetting ? ` setting ${onSetting}` : ""}`;
      emit("subscriptionevent", { type, onUser, onComputer, onSetting }, `changed: ${what}`);
    });
    for (const ev of ["imessagerejected", "workspacechange", "banned", "shutdown"]) {
      client.on(ev, (r: Reply) => emit(ev, { data: r.text }, `${ev}: ${r.text}`));
    }
    ctx.note(`Watching ${account.userId} on computer "${account.computer}" (Ctrl-C to stop)`);
    return new Promise<number>((resolve, reject) => {
      const stop = () => {
        client.close();
        resolve(EXIT.ok);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      failWhenLost(client, "watching", reject);
    });
  },
};
