import { decodeProofs, managementKeyPayload } from "../../../lib/federation/signing.ts";
import { rotateKey } from "../../registry.ts";
import { REALM, managementCommand } from "../../session.ts";
import { keyValues } from "../args.ts";
import { provenKey } from "./proven-key.ts";

/**
 * rotatekey: key, cert (optional), proof (the rotate payload over the last challenge and the TLS
 * binding, signed with the NEW key), and one or more "vouch=<fingerprint> <signature>" lines: the
 * vouch payload signed by a key that is current for the realm (an authenticated session alone is
 * not enough). Every other key stays valid for the overlap window: OK "oldvaliduntil=<ISO>".
 */
export default managementCommand({
  name: "rotatekey",
  states: REALM,
  async handle(ctx, args) {
    const nonce = ctx.takeChallenge();
    if (!nonce) return { status: "NOTALLOWED", data: "ask for a challenge first (or it expired)" };
    const kv = keyValues(args);
    const realmId = ctx.realmId!;
    const key = provenKey(ctx, kv, "rotate", realmId, nonce);
    const until = await rotateKey(
      ctx.db,
      realmId,
      key,
      decodeProofs(args.toString("utf8").split("\n"), "vouch"),
      managementKeyPayload("vouch", realmId, key.fingerprint, nonce, ctx.binding),
      ctx.limits.keyOverlapMs,
      ctx.remoteIp,
    );
    ctx.log.info({ realmId: ctx.realmId, fingerprint: key.fingerprint, oldValidUntil: until }, "realm key rotated");
    return { status: "OK", data: `oldvaliduntil=${until.toISOString()}` };
  },
});
