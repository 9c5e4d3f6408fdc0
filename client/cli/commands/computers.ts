// `opengroove computers [list|add NAME|remove NAME]`: the account's computers (devices).
import type { Command } from "../command.ts";
import { step, usageError } from "../errors.ts";
import { withSession } from "../session.ts";

export const computers: Command = {
  name: "computers",
  summary: "list, add or remove the account's computers",
  synopsis: "[list | add NAME | remove NAME]",
  details: "Removing a computer deletes the messages waiting for it.",
  options: {},
  minArgs: 0,
  maxArgs: 2,
  async run(ctx) {
    const [action = "list", name] = ctx.args;
    if (action === "list") {
      if (name) throw usageError("computers list takes no name");
      const { names, current } = await withSession(ctx, async (c, a) => ({
        names: await step("listing computers", () => c.listComputers()),
        current: a.computer,
      }));
      if (ctx.global.json) ctx.json(names.map((n) => ({ name: n, current: n === current })));
      else ctx.out(names.map((n) => `${n === current ? "*" : " "} ${n}\n`).join(""));
      return;
    }
    if (action !== "add" && action !== "remove")
      throw usageError(`computers: unknown action "${action}"`, "use list, add NAME or remove NAME");
    if (!name) throw usageError(`computers ${action}: the computer name is missing`);
    await withSession(ctx, async (c, a) => {
      if (action === "add") await step(`adding computer "${name}"`, () => c.createComputer(name));
      else {
        if (name === a.computer)
          ctx.note(`Removing the computer this login uses; log in again with another --computer afterwards`);
        await step(`removing computer "${name}"`, () => c.deleteComputer(name));
      }
    });
    if (ctx.global.json) ctx.json({ action, name, ok: true });
    else ctx.out(`${action === "add" ? "Added" : "Removed"} computer "${name}"\n`);
  },
};
