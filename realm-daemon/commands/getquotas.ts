import { getQuotas } from "../../lib/domain/quota.ts";
import { SETTING_LIMITS } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { command } from "./types.ts";

/**
 * getquotas: the account's limits and use, `key=value` per line: storage (quota bytes), used,
 * messages, workspaces, settings (bytes per category), computers (limit), imessagerate (per minute),
 * subscriptions and channels (limits) with their use. The original's quota names too:
 * messagecache (the storage quota, which holds the message cache) and usersettingsize (the
 * per-user settings limit); computers, subscriptions and channels are the same in both.
 * Read from the database on every call, so a console change shows at once.
 */
export default command({
  name: "getquotas",
  states: LOGGED_IN,
  async handle(ctx) {
    const q = await getQuotas(ctx.db, ctx.session!.userId);
    if (!q) return { status: "NOSUCHUSER", data: "account not found" };
    return {
      status: "OK",
      data: [
        `storage=${q.quotaBytes}`,
        `used=${q.bytesUsed}`,
        `messages=${q.messageBytes}`,
        `workspaces=${q.workspaceBytes}`,
        `settings=${q.settingsBytes}`,
        `computers=${q.maxComputers}`,
        `computersused=${q.computers}`,
        `imessagerate=${q.imessageRatePerMinute}`,
        `messagecache=${q.quotaBytes}`,
        `usersettingsize=${SETTING_LIMITS.maxSettingsBytesPerUser}`,
        `subscriptions=${q.maxSubscriptions}`,
        `subscriptionsused=${q.subscriptions}`,
        `channels=${q.maxChannels}`,
        `channelsused=${q.channels}`,
      ],
    };
  },
});
