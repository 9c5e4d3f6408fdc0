import { heartbeat } from "../../registry.ts";
import { REALM, managementCommand } from "../../session.ts";
import { metadata } from "../args.ts";

/**
 * heartbeat: metadata lines (address, name, description, registration, captcha, signupurl). OK
 * "status=APPROVED". The first one of a connection, or one with a new address, is announced to
 * the other connected realms (push `realmup`).
 */
export default managementCommand({
  name: "heartbeat",
  states: REALM,
  async handle(ctx, args) {
    const moved = await heartbeat(ctx.db, ctx.realmId!, metadata(args, ctx.limits.maxMetadataBytes));
    ctx.heartbeatDone(moved);
    return { status: "OK", data: "status=APPROVED" };
  },
});
