// `opengroove visibility [everyone | contacts | nobody]`: who may see this account's online
// status and find it in user searches (contacts: people you share a workspace with).
import type { Visibility } from "../../sdk/index.ts";
import type { Command } from "../command.ts";
import { step, usageError } from "../errors.ts";
import { withSession } from "../session.ts";

const LEVELS: readonly string[] = ["everyone", "contacts", "nobody"];

export const visibility: Command = {
  name: "visibility",
  summary: "show or set who may see your online status (everyone, contacts, nobody)",
  synopsis: "[everyone | contacts | nobody]",
  details: "Subscribers who lose the right to see you lose their status subscriptions at once.",
  options: {},
  minArgs: 0,
  maxArgs: 1,
  async run(ctx) {
    const [level] = ctx.args;
    if (level === undefined) {
      const v = await withSession(ctx, (c) => step("reading visibility", () => c.subscriptions.visibility()));
      if (ctx.global.json) ctx.json({ visibility: v });
      else ctx.out(`${v}\n`);
      return;
    }
    if (!LEVELS.includes(level)) throw usageError(`visibility: "${level}" is not one of ${LEVELS.join(", ")}`);
    const revoked = await withSession(ctx, (c) =>
      step("setting visibility", () => c.subscriptions.setVisibility(level as Visibility)),
    );
    if (ctx.global.json) ctx.json({ visibility: level, revoked });
    else ctx.out(`Visibility: ${level}${revoked ? ` (${revoked} subscription(s) of others revoked)` : ""}\n`);
  },
};
