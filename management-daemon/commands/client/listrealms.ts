import { ANY, managementCommand } from "../../session.ts";

/** listrealms: one approved realm per line, tab-separated: id, name, registration, captcha (true|false), signup URL, description. */
export default managementCommand({
  name: "listrealms",
  states: ANY,
  async handle(s) {
    const r = await s.pool.query<{
      realmId: string;
      name: string;
      registrationMode: string;
      captchaRequired: boolean;
      signupUrl: string;
      description: string;
    }>(
      `SELECT "realmId", name, "registrationMode", "captchaRequired", "signupUrl", description FROM known_realms WHERE status = 'APPROVED' ORDER BY name`,
    );
    const clean = (v: string) => v.replace(/[\t\r\n]+/g, " ");
    return {
      status: "OK",
      data: r.rows.map((x) =>
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
