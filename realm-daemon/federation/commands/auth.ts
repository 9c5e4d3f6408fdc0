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
  async handle(conn, args) {
    const proofs = decodeProofs(allLines(args));
    const payload = realmAuthPayload(
      "client",
      conn.peerRealmId,
      conn.realm.id,
      conn.serverNonce,
      conn.clientNonce,
      conn.binding,
    );
    try {
      await conn.federation.trust.verify(conn.peerRealmId, payload, proofs);
    } catch (e) {
      if (e instanceof DomainError) {
        conn.log.warn({ status: e.code, reason: e.message }, "peer realm refused");
        return { status: e.code, data: e.message, close: true };
      }
      throw e;
    }
    conn.authenticated();
    return { status: "OK", data: `realm=${conn.realm.id}` };
  },
});
