import { heartbeat } from "../../registry.ts";
import { REALM, managementCommand } from "../../session.ts";
import { metadata } from "../args.ts";

/** heartbeat: metadata lines (address, name, description, registration, captcha, signupurl). OK "status=APPROVED". */
export default managementCommand({
  name: "heartbeat",
  states: REALM,
  async handle(s, args) {
    await heartbeat(s.pool, s.realmId!, metadata(args, s.limits.maxMetadataBytes));
    return { status: "OK", data: "status=APPROVED" };
  },
});
