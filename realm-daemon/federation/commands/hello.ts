import { encodeProofs, isNonce, newNonce, realmAuthPayload } from "../../../lib/federation/signing.ts";
import { loadSigningKeys, proofsFor } from "../../../lib/federation/local-keys.ts";
import { fields } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/**
 * hello: the peer's nonce. OK lines: nonce=<ours>, realm=<our realm id>, then one
 * "proof=<fingerprint> <signature>" per key we hold, signing (server, us, them, their nonce,
 * our nonce, TLS channel binding). The peer checks them, then answers with auth.
 */
export default peerCommand({
  name: "hello",
  states: [PeerState.Greeted],
  async handle(ctx, args) {
    const [nonce] = fields(args, ["nonce"]);
    if (!isNonce(nonce)) return { status: "BADARGUMENTS", data: "nonce: 32 to 128 base64url characters", close: true };
    const keys = await loadSigningKeys(ctx.db, ctx.realm.id);
    if (!keys.length) return { status: "INTERNALERROR", data: "this realm has no key", close: true };
    ctx.nonces.client = nonce;
    ctx.nonces.server = newNonce();
    ctx.challenged();
    const proofs = proofsFor(
      keys,
      realmAuthPayload("server", ctx.realm.id, ctx.peerRealmId, nonce, ctx.nonces.server, ctx.binding),
    );
    return { status: "OK", data: [`nonce=${ctx.nonces.server}`, `realm=${ctx.realm.id}`, ...encodeProofs(proofs)] };
  },
});
