import { listApprovedRealms } from "../../../lib/federation/directory.ts";
import { ANY, managementCommand } from "../../session.ts";

/** listrealms: one approved realm per line, tab-separated: id, name, registration, captcha (true|false), signup URL, description. */
export default managementCommand({
  name: "listrealms",
  states: ANY,
  async handle(ctx) {
    const realms = await listApprovedRealms(ctx.db);
    const clean = (v: string) => v.replace(/[\t\r\n]+/g, " ");
    return {
      status: "OK",
      data: realms.map((x) =>
        [
          x.realmId,
          clean(x.name),
          x.registrationMode.toLowerCase(),
          x.captchaRequired,
          clean(x.signupUrl),
          clean(x.description),
        ].join("\t"),
      ),
    };
  },
});
