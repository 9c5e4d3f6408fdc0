// Outbound realm-to-realm link: connect to the peer's registered address, greet
// "OpenGroove realm <us> <them>", check the peer's proof (it must hold a key the management
// server lists for it), prove ours, then deliver messages: deliverbegin, deliverdata in whole
// blocks, delivercommit. Each step is idempotent on the receiving side, so a retry after any
// failure is safe.
import { DomainError } from "../../lib/domain/errors.ts";
import { joinFieldsWithTrailingData, keyValueMap, type StatusWord } from "../../lib/protocol/index.ts";
import { PacketLink, LinkError, type LinkReply } from "../../lib/federation/packet-client.ts";
import { decodeProofs, encodeProofs, newNonce, realmAuthPayload } from "../../lib/federation/signing.ts";
import { loadSigningKeys, proofsFor } from "../../lib/federation/local-keys.ts";
import { readOutgoing, type Outgoing, type Refusal } from "../../lib/federation/outbox-store.ts";
import type { Federation } from "./federation.ts";

/** A refusal by the peer (or by trust checks) that retrying will not fix: the sender gets a bounce. */
export class PermanentRefusal extends Error {
  constructor(
    readonly status: StatusWord,
    readonly reason: string,
  ) {
    super(`${status} ${reason}`);
    this.name = "PermanentRefusal";
  }
}

/** The peer answered a request with an error that a later retry may not get (FAIL, BUSY...): the link itself is fine. */
export class ReplyError extends LinkError {
  constructor(status: StatusWord, message: string) {
    super(status, message);
    this.name = "ReplyError";
  }
}

const PERMANENT: ReadonlySet<string> = new Set([
  "QUOTAEXCEEDED",
  "NOSUCHUSER",
  "NOSUCHREALM",
  "NOSUCHWORKSPACE",
  "UNAUTHORIZED",
  "INVALIDMESSAGEID",
  "TOOLARGE",
  "ALREADYEXISTS",
  "BADARGUMENTS",
]);

export function isPermanent(status: string): boolean {
  return PERMANENT.has(status);
}

export class OutboundLink {
  lastUsed = Date.now();

  private constructor(
    readonly localRealmId: string,
    readonly targetRealmId: string,
    private readonly link: PacketLink,
    private readonly fed: Federation,
  ) {}

  get closed(): boolean {
    return this.link.closed;
  }

  /**
   * The target's registry entry. A revoked target is a permanent refusal; a target that is not
   * registered or not approved (yet: a realm just created is federated some seconds later) is
   * unreachable for now, so what is queued for it waits (docs/federation.md §4b).
   */
  static async trusted(fed: Federation, targetRealmId: string) {
    return fed.trust.peer(targetRealmId).catch((e: unknown) => {
      if (e instanceof DomainError && e.code === "UNAUTHORIZED" && /revoked/.test(e.message))
        throw new PermanentRefusal(e.code, e.message);
      if (e instanceof DomainError && (e.code === "NOSUCHREALM" || e.code === "UNAUTHORIZED"))
        throw new LinkError(e.code, `realm ${targetRealmId} is not federated yet (${e.message}); queued until it is`);
      throw e;
    });
  }

  static async open(fed: Federation, localRealmId: string, targetRealmId: string): Promise<OutboundLink> {
    const peer = await OutboundLink.trusted(fed, targetRealmId);
    if (!peer.address) throw new LinkError("DISCONNECTED", `realm ${targetRealmId} has no published address`);
    const limits = fed.config.limits;
    const link = await PacketLink.open({
      address: peer.address,
      tls: !fed.config.plainTcp,
      words: ["realm", localRealmId, targetRealmId],
      timeoutMs: limits.requestTimeoutMs,
      maxPacketBytes: fed.daemon.config.limits.maxPacketBytes,
    }).catch(async (e: unknown) => {
      await fed.addressFailed(targetRealmId);
      throw e;
    });
    try {
      const clientNonce = newNonce();
      const hello = await link.request("hello", [clientNonce]);
      if (hello.status !== "OK") throw new LinkError(hello.status, `hello: ${hello.text}`);
      const kv = keyValueMap(hello.lines);
      const serverNonce = kv.get("nonce") ?? "";
      if (kv.get("realm") !== targetRealmId)
        throw new LinkError("BADAUTH", `${peer.address} answered as realm ${kv.get("realm")}, not ${targetRealmId}`);
      await fed.trust
        .verify(
          targetRealmId,
          realmAuthPayload("server", targetRealmId, localRealmId, clientNonce, serverNonce, link.binding),
          decodeProofs(hello.lines),
        )
        .catch((e: unknown) => {
          if (e instanceof DomainError)
            throw new LinkError(e.code, `realm ${targetRealmId} failed to prove its key: ${e.message}`);
          throw e;
        });
      const keys = await loadSigningKeys(fed.daemon.db.pool, localRealmId);
      const auth = await link.request(
        "auth",
        encodeProofs(
          proofsFor(
            keys,
            realmAuthPayload("client", localRealmId, targetRealmId, serverNonce, clientNonce, link.binding),
          ),
        ),
      );
      if (auth.status !== "OK") {
        if (auth.status === "UNAUTHORIZED") throw new PermanentRefusal(auth.status, auth.text);
        throw new LinkError(auth.status, `realm ${targetRealmId} did not accept our proof: ${auth.text}`);
      }
      return new OutboundLink(localRealmId, targetRealmId, link, fed);
    } catch (e) {
      link.close();
      throw e;
    }
  }

  /** One request; OK or throws (PermanentRefusal for refusals a retry will not fix, LinkError otherwise). */
  async call(command: string, args: Uint8Array | readonly string[]): Promise<LinkReply> {
    this.lastUsed = Date.now();
    const r = await this.link.request(command, args);
    if (r.status === "OK") return r;
    if (isPermanent(r.status)) throw new PermanentRefusal(r.status, r.text);
    throw new ReplyError(r.status, `${command}: ${r.text}`);
  }

  /** Delivers one message; returns the recipients the peer refused (they bounce). */
  async deliver(m: Outgoing, messageDbId: bigint): Promise<Refusal[]> {
    const begin = await this.call("deliverbegin", [
      m.messageId,
      m.senderId,
      m.senderComputer,
      m.size.toString(),
      ...m.recipients.map((r) => `${r.recipientId}\t${r.computer}`),
    ]);
    if (begin.lines[0] === "state=complete") return [];
    const refused = begin.lines
      .filter((l) => l.startsWith("refused="))
      .map((l) => {
        const [recipientId, status, reason] = l.slice(8).split("\t");
        return { recipientId, status, reason: reason ?? "" };
      });
    const chunk = this.fed.config.limits.chunkBytes;
    for (let off = 0n; off < m.size; off += BigInt(chunk)) {
      const len = Number(m.size - off < BigInt(chunk) ? m.size - off : BigInt(chunk));
      const data = await readOutgoing(this.fed.daemon.db.pool, messageDbId, off, len);
      await this.call("deliverdata", joinFieldsWithTrailingData([m.messageId, off.toString(), String(len)], data));
    }
    await this.call("delivercommit", [m.messageId]);
    return refused;
  }

  close(): void {
    this.link.close();
  }
}
