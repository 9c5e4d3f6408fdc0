import { managementKeyPayload } from "../../../lib/federation/signing.ts";
import { checkPossession, presentedKey, rotateKey } from "../../registry.ts";
import { REALM, managementCommand, takeChallenge } from "../../session.ts";
import { keyValues, pemField, required } from "../args.ts";

/**
 * rotatekey: key, cert (optional), proof (the rotate payload over the last challenge, signed with
 * the NEW key). The connection is already authenticated with a current key. Every other key of the
 * realm stays valid for the overlap window: OK "oldvaliduntil=<ISO>".
 */
export default managementCommand({
  name: "rotatekey",
  states: REALM,
  async handle(s, args) {
    const nonce = takeChallenge(s);
    if (!nonce) return { status: "NOTALLOWED", data: "ask for a challenge first (or it expired)" };
    const kv = keyValues(args);
    const key = presentedKey(
      pemField(kv, "key", s.limits.maxPublicKeyBytes),
      pemField(kv, "cert", s.limits.maxCertBytes, true),
    );
    checkPossession(key, managementKeyPayload("rotate", s.realmId!, key.fingerprint, nonce), required(kv, "proof"));
    const until = await rotateKey(s.pool, s.realmId!, key, s.limits.keyOverlapMs);
    s.log.info({ realmId: s.realmId, fingerprint: key.fingerprint, oldValidUntil: until }, "realm key rotated");
    return { status: "OK", data: `oldvaliduntil=${until.toISOString()}` };
  },
});
