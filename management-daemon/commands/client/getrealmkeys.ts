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
  async handle(s, args) {
    const [realmId] = fields(args, ["realm id"]);
    const r = await s.pool.query<{
      fingerprint: string;
      validFrom: Date;
      validUntil: Date | null;
      tlsFingerprint: string | null;
    }>(
      `SELECT k.fingerprint, k."validFrom", k."validUntil", k."tlsFingerprint" FROM known_realm_keys k JOIN known_realms r ON r."realmId" = k."realmId"
        WHERE k."realmId" = $1 AND r.status = 'APPROVED' AND k."revokedAt" IS NULL AND (k."validUntil" IS NULL OR k."validUntil" > now()) ORDER BY k."validFrom" DESC`,
      [realmId],
    );
    if (!r.rows.length) return { status: "NOSUCHREALM", data: `no approved realm ${realmId}` };
    return {
      status: "OK",
      data: r.rows.map(
        (k) =>
          `${k.fingerprint}\t${k.validFrom.toISOString()}\t${k.validUntil?.toISOString() ?? "-"}\t${k.tlsFingerprint ?? "-"}`,
      ),
    };
  },
});
