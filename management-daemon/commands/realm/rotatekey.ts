import { managementKeyPayload } from "../../../lib/federation/signing.ts";
import { checkPossession, presentedKey, rotateKey } from "../../registry.ts";
import { REALM, managementCommand } from "../../session.ts";
import { keyValues, pemField, required } from "../args.ts";

/**
 * rotatekey: key, cert (optional), proof (the rotate payload over the last challenge, signed with
 * the NEW key). The connection is already authenticated with a current key. Every other key of the
 * realm stays valid for the overlap window: OK "oldvaliduntil=<ISO>".
 */
export default managementCommand({
  name: "rotatekey",
  states: REALM,
  async handle(ctx, args) {
    const nonce = ctx.takeChallenge();
    if (!nonce) return { status: "NOTALLOWED", data: "ask for a challenge first (or it expired)" };
    const kv = keyValues(args);
    const key = presentedKey(
      pemField(kv, "key", ctx.limits.maxPublicKeyBytes),
      pemField(kv, "cert", ctx.limits.maxCertBytes, true),
    );
    checkPossession(key, managementKeyPayload("rotate", ctx.realmId!, key.fingerprint, nonce), required(kv, "proof"));
    const until = await rotateKey(ctx.db, ctx.realmId!, key, ctx.limits.keyOverlapMs);
    ctx.log.info({ realmId: ctx.realmId, fingerprint: key.fingerprint, oldValidUntil: until }, "realm key rotated");
    return { status: "OK", data: `oldvaliduntil=${until.toISOString()}` };
  },
});
