import { encodeRecord } from "../../../lib/federation/registry-wire.ts";
import { lookup } from "../../registry.ts";
import { REALM, managementCommand } from "../../session.ts";
import { fields } from "../args.ts";

/** getrealm: realm id. OK: status=, address=, key= lines (see lib/federation/registry-wire.ts); NOSUCHREALM when never enrolled. */
export default managementCommand({
  name: "getrealm",
  states: REALM,
  async handle(ctx, args) {
    const [realmId] = fields(args, ["realm id"]);
    const r = await lookup(ctx.db, realmId);
    if (!r) return { status: "NOSUCHREALM", data: `realm ${realmId} is not registered with the management server` };
    return { status: "OK", data: encodeRecord(r) };
  },
});
