import { listImessageQuotas } from "../../lib/domain/imessage-quotas.ts";
import { LOGGED_IN } from "../state.ts";
import { command } from "./types.ts";

/** listimessagequotas: `<user id> <rate>` per line for each sender you set a quota for. NORESULTS if none. */
export default command({
  name: "listimessagequotas",
  states: LOGGED_IN,
  async handle(ctx) {
    const q = await listImessageQuotas(ctx.db, ctx.session!.userId);
    if (!q.length) return { status: "NORESULTS", data: "no immediate-message quotas set" };
    return { status: "OK", data: q.map((x) => `${x.sender} ${x.rate}`) };
  },
});
