import { ANY_STATE } from "../state.ts";
import { command } from "./types.ts";

/**
 * getserverinfo: realm properties, one `key=value` per line: realmid, name, description,
 * openregistration (true|false), registration (open|invite|closed), captcha (none|hcaptcha|altcha),
 * signupurl, contactemail, contactuserid.
 */
export default command({
  name: "getserverinfo",
  states: ANY_STATE,
  async handle(ctx) {
    const r = ctx.realm;
    const lines = [
      `realmid=${r.id}`,
      `name=${r.name}`,
      `description=${r.description.replace(/[\r\n]+/g, " ")}`,
      `openregistration=${r.registrationMode === "OPEN"}`,
      `registration=${r.registrationMode.toLowerCase()}`,
      `captcha=${r.captchaProvider.toLowerCase()}`,
      `signupurl=${ctx.webUrl}/signup/${r.slug}`,
      `contactemail=${r.contactEmail}`,
      `contactuserid=${r.contactUserId}`,
    ];
    return { status: "OK", data: lines };
  },
});
