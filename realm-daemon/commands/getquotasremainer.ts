import { getQuotas } from "../../lib/domain/quota.ts";
import { SETTING_LIMITS } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { command } from "./types.ts";

/**
 * getquotasremainer (original spelling): what is left, `key=value` per line: storage (bytes),
 * computers, subscriptions, channels, and the original's names messagecache (= storage) and
 * usersettingsize (bytes).
 */
export default command({
  name: "getquotasremainer",
  states: LOGGED_IN,
  async handle(ctx) {
    const q = await getQuotas(ctx.db, ctx.session!.userId);
    if (!q) return { status: "NOSUCHUSER", data: "account not found" };
    const left = q.quotaBytes - q.bytesUsed;
    return {
      status: "OK",
      data: [
        `storage=${left > 0n ? left : 0n}`,
        `computers=${Math.max(0, q.maxComputers - q.computers)}`,
        `messagecache=${left > 0n ? left : 0n}`,
        `usersettingsize=${Math.max(0, SETTING_LIMITS.maxSettingsBytesPerUser - Number(q.settingsBytes))}`,
        `subscriptions=${Math.max(0, q.maxSubscriptions - q.subscriptions)}`,
        `channels=${Math.max(0, q.maxChannels - q.channels)}`,
      ],
    };
  },
});
