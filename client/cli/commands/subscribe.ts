// `opengroove subscribe [list | add TYPE USER | remove TYPE USER]`: subscriptions to another
// user's (or computer's) status and public settings; `opengroove watch` prints their events.
import type { Subscription, SubscriptionType } from "../../sdk/index.ts";
import type { Command } from "../command.ts";
import { step, usageError } from "../errors.ts";
import { withSession } from "../session.ts";

const TYPES: readonly string[] = ["userstatus", "usersetting", "computerstatus", "computersetting"];

export const subscribe: Command = {
  name: "subscribe",
  summary: "list, add or remove subscriptions to users' status and public settings",
  synopsis: "[list | add TYPE USER | remove TYPE USER] [--computer NAME] [--setting KEY] [--delete-with-target]",
  details:
    "TYPE is userstatus, usersetting (with --setting), computerstatus (with --computer) or computersetting " +
    "(with --setting; --computer for one computer, none for any). `opengroove watch` shows the events.",
  options: {
    computer: { type: "string", value: "NAME", description: "the computer (computerstatus, computersetting)" },
    setting: { type: "string", value: "KEY", description: "the setting key (usersetting, computersetting)" },
    "delete-with-target": { type: "boolean", description: "end the subscription when its target is deleted" },
  },
  minArgs: 0,
  maxArgs: 3,
  async run(ctx) {
    const [action = "list", type, user] = ctx.args;
    if (action === "list") {
      if (type) throw usageError("subscribe list takes no arguments");
      const subs = await withSession(ctx, (c) => step("listing subscriptions", () => c.subscriptions.list()));
      if (ctx.global.json) ctx.json(subs);
      else if (!subs.length) ctx.out("No subscriptions\n");
      else
        ctx.out(
          subs
            .map(
              (s) =>
                `${s.type} ${s.onUser}${s.onComputer ? ` computer=${s.onComputer}` : ""}${s.onSetting ? ` setting=${s.onSetting}` : ""}${s.deleteWithTarget ? " (ends with its target)" : ""}\n`,
            )
            .join(""),
        );
      return;
    }
    if (action !== "add" && action !== "remove")
      throw usageError(`subscribe: unknown action "${action}"`, "use list, add TYPE USER or remove TYPE USER");
    if (!type || !TYPES.includes(type))
      throw usageError(`subscribe ${action}: TYPE must be one of ${TYPES.join(", ")}`);
    if (!user) throw usageError(`subscribe ${action}: the user id is missing`);
    const s: Subscription = {
      type: type as SubscriptionType,
      onUser: user,
      onComputer: ctx.str("computer") ?? "",
      onSetting: ctx.str("setting") ?? "",
      deleteWithTarget: ctx.flag("delete-with-target"),
    };
    await withSession(ctx, (c) =>
      action === "add"
        ? step(`subscribing to ${type} of ${user}`, () => c.subscriptions.create(s))
        : step(`removing the subscription to ${type} of ${user}`, () => c.subscriptions.delete(s)),
    );
    if (ctx.global.json) ctx.json({ action, ...s, ok: true });
    else ctx.out(`${action === "add" ? "Subscribed to" : "Unsubscribed from"} ${type} of ${user}\n`);
  },
};
