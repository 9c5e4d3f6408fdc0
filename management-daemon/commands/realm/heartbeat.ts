import { heartbeat } from "../../registry.ts";
import { REALM, managementCommand } from "../../session.ts";
import { metadata } from "../args.ts";

/** heartbeat: metadata lines (address, name, description, registration, captcha, signupurl). OK "status=APPROVED". */
export default managementCommand({
  name: "heartbeat",
  states: REALM,
  async handle(ctx, args) {
    await heartbeat(ctx.db, ctx.realmId!, metadata(args, ctx.limits.maxMetadataBytes));
    return { status: "OK", data: "status=APPROVED" };
  },
});
