// `opengroove quota`: storage used of the quota, by category, and the account's limits.
import type { Command } from "../command.ts";
import { step } from "../errors.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { withSession } from "../session.ts";

export const quota: Command = {
  name: "quota",
  summary: "show storage used / quota with a breakdown, and the account's limits",
  synopsis: "[--json]",
  options: {},
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const q = await withSession(ctx, (c) => step("reading quotas", () => c.quotas()));
    if (ctx.global.json) {
      ctx.json({
        quotaBytes: q.storage,
        usedBytes: q.used,
        messageBytes: q.messages,
        workspaceBytes: q.workspaces,
        settingsBytes: q.settings,
        computers: q.computersUsed,
        maxComputers: q.computers,
        imessagesPerMinute: q.imessageRate,
      });
      return;
    }
    const pct = q.storage > 0n ? ` (${((Number(q.used) / Number(q.storage)) * 100).toFixed(1)}%)` : "";
    ctx.out(
      [
        `Storage:    ${formatBytes(q.used)} used of ${formatBytes(q.storage)}${pct}, ${formatBytes(q.storage > q.used ? q.storage - q.used : 0n)} free`,
        `  messages:   ${formatBytes(q.messages)}`,
        `  workspaces: ${formatBytes(q.workspaces)}`,
        `  settings:   ${formatBytes(q.settings)}`,
        `Computers:  ${q.computersUsed} of ${q.computers}`,
        `Immediate messages: up to ${q.imessageRate} per minute from each sender`,
        "",
      ].join("\n"),
    );
  },
};
