import { DomainError } from "../../../lib/domain/errors.ts";
import { beginInbound, checkSenderRealm } from "../../../lib/federation/inbound-store.ts";
import { allLines } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/**
 * deliverbegin: message id, sender user id, sender computer, size, then one line per recipient on
 * this realm: "<user id> TAB <computer or empty>". The sender must belong to the authenticated
 * peer realm. OK lines: state=open (send deliverdata, then delivercommit) or state=complete
 * (already taken: nothing to do), plus "refused=<user id> TAB <STATUS> TAB <reason>" for
 * recipients that do not exist here. QUOTAEXCEEDED when the peer's allowance here is used up.
 */
export default peerCommand({
  name: "deliverbegin",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const lines = allLines(args);
    if (lines.length < 5 || !/^\d{1,13}$/.test(lines[3]))
      return { status: "BADARGUMENTS", data: "expected: message id, sender, sender computer, size, recipient lines" };
    const [messageId, senderId, senderComputer, size, ...rest] = lines;
    const header = {
      localRealmId: ctx.realm.id,
      peerRealmId: ctx.peerRealmId,
      messageId,
      senderId,
      senderComputer,
      size: BigInt(size),
      recipients: rest.map((l) => {
        const [recipientId, computer = ""] = l.split("\t");
        return { recipientId, computer };
      }),
    };
    const spoof = checkSenderRealm(header);
    if (spoof?.code === "UNAUTHORIZED") {
      await ctx.recordSpoof(messageId, senderId);
      throw spoof;
    }
    const r = await beginInbound(ctx.db, header, ctx.limits).catch((e: unknown) => {
      if (e instanceof DomainError && e.code === "QUOTAEXCEEDED")
        ctx.log.warn({ messageId, reason: e.message }, "delivery refused: per-realm storage limit");
      throw e;
    });
    if (r.state === "complete") return { status: "OK", data: "state=complete" };
    return {
      status: "OK",
      data: ["state=open", ...r.rejected.map((x) => `refused=${x.recipientId}\t${x.status}\t${x.reason}`)],
    };
  },
});
