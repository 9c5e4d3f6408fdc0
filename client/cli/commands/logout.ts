// `opengroove logout`: forgets the stored credentials (pinned certificates are kept).
import type { Command } from "../command.ts";
import type { Account } from "../config.ts";

export const logout: Command = {
  name: "logout",
  summary: "forget the stored credentials",
  synopsis: "",
  options: {},
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    let account: Account | undefined;
    try {
      account = ctx.store.loadAccount();
    } catch {
      account = undefined; // a broken file is removed all the same
    }
    const removed = ctx.store.removeAccount();
    if (ctx.global.json) ctx.json({ loggedOut: removed, userId: account?.userId ?? null });
    else
      ctx.out(
        removed
          ? `Logged out${account ? ` ${account.userId}` : ""}; removed ${ctx.store.credentialsFile}\n`
          : "Not logged in\n",
      );
  },
};
