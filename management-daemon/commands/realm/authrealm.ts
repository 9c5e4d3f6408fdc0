import { decodeProofs, managementAuthPayload } from "../../../lib/federation/signing.ts";
import { checkTextFields, splitFields } from "../../../lib/protocol/index.ts";
import { authenticateRealm } from "../../registry.ts";
import { ANONYMOUS, managementCommand } from "../../session.ts";

/**
 * authrealm: realm id, then one "proof=<fingerprint> <signature>" line per key the realm holds
 * (signatures of the auth payload over the last challenge). OK "status=APPROVED". PENDING realms
 * get NOTALLOWED, revoked ones UNAUTHORIZED.
 */
export default managementCommand({
  name: "authrealm",
  states: ANONYMOUS,
  async handle(ctx, args) {
    const nonce = ctx.takeChallenge();
    if (!nonce) return { status: "NOTALLOWED", data: "ask for a challenge first (or it expired)" };
    const f = splitFields(args);
    if (!f.ok || f.value.length < 2) return { status: "BADARGUMENTS", data: "expected: realm id, proof lines" };
    const t = checkTextFields(f.value, ["realm id"]);
    if (!t.ok) return { status: "BADARGUMENTS", data: t.error.reason };
    const [realmId, ...rest] = f.value;
    await authenticateRealm(ctx.db, realmId, decodeProofs(rest), managementAuthPayload(realmId, nonce));
    ctx.authenticated(realmId);
    ctx.log.info({ realmId }, "realm authenticated");
    return { status: "OK", data: "status=APPROVED" };
  },
});
