import { DomainError } from "../../../lib/domain/errors.ts";
import { decodeProofs, realmAuthPayload } from "../../../lib/federation/signing.ts";
import { allLines } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/**
 * auth: "proof=<fingerprint> <signature>" lines signing (client, them, us, our nonce, their nonce,
 * TLS channel binding), checked against the keys the management server lists for the realm the
 * peer claimed in its greeting (cached locally). A refusal closes the connection.
 */
export default peerCommand({
  name: "auth",
  states: [PeerState.Challenged],
  async handle(ctx, args) {
    const proofs = decodeProofs(allLines(args));
    const payload = realmAuthPayload(
      "client",
      ctx.peerRealmId,
      ctx.realm.id,
      ctx.nonces.server,
      ctx.nonces.client,
      ctx.binding,
    );
    try {
      await ctx.verifyPeer(payload, proofs);
    } catch (e) {
      if (e instanceof DomainError) {
        ctx.log.warn({ status: e.code, reason: e.message }, "peer realm refused");
        return { status: e.code, data: e.message, close: true };
      }
      throw e;
    }
    ctx.authenticated();
    return { status: "OK", data: `realm=${ctx.realm.id}` };
  },
});
