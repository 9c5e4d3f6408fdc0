import { managementKeyPayload } from "../../../lib/federation/signing.ts";
import { checkPossession, enroll, presentedKey } from "../../registry.ts";
import { ANONYMOUS, managementCommand } from "../../session.ts";
import { keyValues, metadata, pemField, required } from "../args.ts";

/**
 * enroll: key=value lines: realm, key (base64 PEM public key), cert (base64 PEM, optional),
 * proof (signature of the enroll payload over the last challenge with that key), token
 * (optional enrollment token), and the metadata of heartbeat. OK "status=APPROVED|PENDING";
 * APPROVED also authenticates this connection as the realm.
 */
export default managementCommand({
  name: "enroll",
  states: ANONYMOUS,
  async handle(ctx, args) {
    const nonce = ctx.takeChallenge();
    if (!nonce) return { status: "NOTALLOWED", data: "ask for a challenge first (or it expired)" };
    const kv = keyValues(args);
    const realmId = required(kv, "realm");
    const key = presentedKey(
      pemField(kv, "key", ctx.limits.maxPublicKeyBytes),
      pemField(kv, "cert", ctx.limits.maxCertBytes, true),
    );
    checkPossession(key, managementKeyPayload("enroll", realmId, key.fingerprint, nonce), required(kv, "proof"));
    const status = await enroll(
      ctx.db,
      realmId,
      key,
      kv.get("token") ?? "",
      metadata(args, ctx.limits.maxMetadataBytes),
      ctx.limits.keyOverlapMs,
    );
    ctx.log.info({ realmId, fingerprint: key.fingerprint, status }, "realm enrolled");
    if (status === "APPROVED") {
      ctx.authenticated(realmId);
    }
    return { status: "OK", data: `status=${status}` };
  },
});
