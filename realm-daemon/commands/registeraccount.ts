import { registerAccount } from "../../lib/domain/registration.ts";
import { openTicket, registerWithTicket } from "../../lib/domain/tickets.ts";
import { hitRateLimit } from "../../lib/domain/rate-limit.ts";
import { ConnectionState } from "../state.ts";
import { command } from "./types.ts";
import { queryArgs } from "./args.ts";

/**
 * registeraccount: URL-query arguments (original style): username, password, and one of
 * invite=<code> (invite realms) or ticket=<id>&token=<token> (captcha realms, second step).
 * On a captcha realm without a ticket the answer is CONTINUE with `ticket=`, `url=` (the web
 * page where the person solves the captcha and receives the token) and `message=` lines.
 * OK data: `userid=<realm id>::<username>`.
 */
export default command({
  name: "registeraccount",
  states: [ConnectionState.Anonymous],
  async handle(ctx, args) {
    const q = queryArgs(args);
    const realm = ctx.realm;
    const pool = ctx.db;
    const { registrationsPerIp, registrationWindowMs } = ctx.limits;
    const limit = await hitRateLimit(
      pool,
      `register:${realm.id}:${ctx.remoteIp}`,
      registrationsPerIp,
      registrationWindowMs,
    );
    if (!limit.allowed)
      return {
        status: "RATELIMITED",
        data: `too many registrations from your address; try again in ${Math.ceil(limit.retryAfterMs / 60_000)} minute(s)`,
      };
    const input = {
      realmId: realm.id,
      username: q.get("username") ?? "",
      password: q.get("password") ?? "",
      inviteCode: q.get("invite") ?? undefined,
    };
    const ticket = q.get("ticket");
    const token = q.get("token");
    if (realm.registrationMode === "OPEN" && realm.captchaProvider !== "NONE" && !(ticket && token)) {
      const id = await openTicket(pool, realm.id);
      const url = `${ctx.webUrl}/signup/${realm.slug}?ticket=${id}`;
      return {
        status: "CONTINUE",
        data: [
          `ticket=${id}`,
          `url=${url}`,
          `message=Open ${url} in a browser, solve the captcha, then send registeraccount again with ticket and token.`,
        ],
      };
    }
    const user =
      ticket && token
        ? await registerWithTicket(pool, ticket, token, input)
        : await registerAccount(pool, { ...input, captchaPassed: false });
    ctx.log.info({ userId: user.id }, "account registered");
    return { status: "OK", data: `userid=${realm.id}::${user.username}` };
  },
});
