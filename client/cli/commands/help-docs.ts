// `opengroove help-docs [list | show PATH]`: the realm's help documents (HTML, written by its
// operators in the console). The HTML is printed as it is (escaped on a terminal).
import type { Command } from "../command.ts";
import { EXIT, step, usageError } from "../errors.ts";
import { withSession } from "../session.ts";

export const helpDocs: Command = {
  name: "help-docs",
  summary: "list or show the realm's help documents",
  synopsis: "[list | show PATH]",
  options: {},
  minArgs: 0,
  maxArgs: 2,
  async run(ctx) {
    const [action = "list", path] = ctx.args;
    if (action === "list") {
      if (path) throw usageError("help-docs list takes no path");
      const paths = await withSession(ctx, (c) => step("listing help documents", () => c.help.list()));
      if (ctx.global.json) ctx.json(paths);
      else ctx.out(paths.length ? paths.map((p) => `${p}\n`).join("") : "No help documents\n");
      return;
    }
    if (action !== "show") throw usageError(`help-docs: unknown action "${action}"`, "use list or show PATH");
    if (!path) throw usageError("help-docs show: the path is missing (see help-docs list)");
    const doc = await withSession(ctx, (c) => step(`reading ${path}`, () => c.help.get(path)));
    if (doc === null) {
      ctx.note(`No help document ${path}`);
      return EXIT.notFound;
    }
    if (ctx.global.json) ctx.json({ path, html: doc });
    else ctx.out(doc.endsWith("\n") ? doc : `${doc}\n`);
  },
};
