import { enroll } from "../../registry.ts";
import { ANONYMOUS, managementCommand } from "../../session.ts";
import { keyValues, metadata, required } from "../args.ts";
import { provenKey } from "./proven-key.ts";

/**
 * enroll: key=value lines: realm, key (base64 PEM public key), cert (base64 PEM, optional),
 * proof (signature of the enroll payload over the last challenge with that key), token
 * (optional enrollment token, TLS only), and the metadata of heartbeat. OK "status=APPROVED|PENDING"
 * (PENDING also when a known realm presents an unknown key: an administrator decides);
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
    const key = provenKey(ctx, kv, "enroll", realmId, nonce);
    const status = await enroll(
      ctx.db,
      realmId,
      key,
      kv.get("token") ?? "",
      metadata(args, ctx.limits.maxMetadataBytes),
      { tls: ctx.tls, ip: ctx.remoteIp, pendingPerHour: ctx.limits.pendingEnrollmentsPerIpPerHour },
    );
    ctx.log.info({ realmId, fingerprint: key.fingerprint, status }, "realm enrolled");
    if (status === "APPROVED") {
      ctx.authenticated(realmId);
    }
    return { status: "OK", data: `status=${status}` };
  },
});
