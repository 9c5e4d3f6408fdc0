import { approvedRealmKeys } from "../../../lib/federation/directory.ts";
import { fields } from "../args.ts";
import { ANY, managementCommand } from "../../session.ts";

/**
 * getrealmkeys: realm id. One line per currently valid key, tab-separated: key fingerprint
 * (sha256 of the public key), valid-from, valid-until (ISO or "-"), TLS certificate fingerprint
 * (sha256 of the certificate the realm presents, or "-"). During a rotation both keys are listed.
 */
export default managementCommand({
  name: "getrealmkeys",
  states: ANY,
  async handle(ctx, args) {
    const [realmId] = fields(args, ["realm id"]);
    const keys = await approvedRealmKeys(ctx.db, realmId);
    if (!keys.length) return { status: "NOSUCHREALM", data: `no approved realm ${realmId}` };
    return {
      status: "OK",
      data: keys.map(
        (k) =>
          `${k.fingerprint}\t${k.validFrom.toISOString()}\t${k.validUntil?.toISOString() ?? "-"}\t${k.tlsFingerprint ?? "-"}`,
      ),
    };
  },
});
