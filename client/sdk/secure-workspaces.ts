// End-to-end encrypted workspace changes (docs/clients.md §2a). Each change is a sealed message
// (the same OGE1 format, its id field = the workspace id) whose fresh content key is sealed to
// every computer of every ACTIVE member at publish time. The workspace key is thus renewed with
// every change: a member removed (or who left) is not among the recipients of any later change,
// so it cannot read them even with a copy of the realm's database. The realm orders and relays
// the ciphertext as before.
import type { RealmClient } from "./client.ts";
import { WORKSPACE_CHUNK_BYTES } from "./workspaces.ts";
import type { SecureMessaging } from "./secure-messages.ts";
import type { KeyChange } from "./crypto/known-keys.ts";
import { fingerprint } from "./crypto/keys-core.ts";
import { E2EError, type SenderTrust } from "./crypto/recipients.ts";
import { openMessage, sealMessage } from "./crypto/sealed-message.ts";

export interface SecurePublishOptions {
  /** Plaintext size when the body is a stream (reserves quota before the upload). */
  size?: number;
  onKeyChange?: (c: KeyChange) => void;
  /** Sealed bytes uploaded so far (and the sealed total, when the size is known). */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** How a change was opened: how far its author's key is trusted (as for messages). */
export interface OpenedChange {
  trust: SenderTrust;
  fingerprint: string;
  keyChange?: KeyChange;
}

export class SecureWorkspaces {
  constructor(
    private readonly client: RealmClient,
    private readonly sm: SecureMessaging,
  ) {}

  /** The users whose computers get the keys of a new change: the ACTIVE members (this account included). */
  private async readers(workspaceId: string): Promise<string[]> {
    const members = await this.client.workspaces.members(workspaceId);
    const ids = members.filter((m) => m.status === "active").map((m) => m.userId);
    if (!ids.some((u) => u.toLowerCase() === this.sm.me.userId.toLowerCase())) ids.push(this.sm.me.userId);
    return ids;
  }

  /** Encrypts and publishes a change (streamed, one chunk in memory at a time). */
  async publish(
    workspaceId: string,
    body: Uint8Array | AsyncIterable<Uint8Array>,
    opts: SecurePublishOptions = {},
  ): Promise<{ seq: bigint; size: number; keyChanges: KeyChange[] }> {
    const keyChanges: KeyChange[] = [];
    const recipients = await this.sm.recipientKeys(await this.readers(workspaceId), (c) => {
      keyChanges.push(c);
      opts.onKeyChange?.(c);
    });
    const sealer = sealMessage({
      id: workspaceId,
      from: this.sm.me.userId,
      computer: this.sm.me.computer,
      keys: this.sm.keys,
      recipients,
    });
    const plain = body instanceof Uint8Array ? body.length : opts.size;
    async function* source() {
      if (body instanceof Uint8Array) yield body;
      else yield* body;
    }
    async function* frames() {
      for await (const f of sealer.frames(source())) yield Buffer.from(f.buffer, f.byteOffset, f.byteLength);
    }
    const r = await this.client.workspaces.publish(workspaceId, frames(), {
      size: plain === undefined ? undefined : sealer.size(plain),
      onProgress: opts.onProgress,
    });
    return { ...r, keyChanges };
  }

  /**
   * Decrypts one change into `sink` (streamed). The author named in the sealed header must be
   * the author the realm lists (E2EError SENDERMISMATCH otherwise); the signature is checked
   * after the last chunk (SealedMessageError then). Says how far the author's key is trusted.
   */
  async read(
    workspaceId: string,
    change: { seq: bigint; size: number; author: string; authorComputer: string },
    sink: (chunk: Uint8Array) => void | Promise<void>,
  ): Promise<OpenedChange> {
    let opened: OpenedChange | undefined;
    const sm = this.sm;
    const client = this.client;
    // Sequential chunk reads: one chunk in memory at a time whatever the change's size.
    async function* stored() {
      for (let off = 0; off < change.size; off += WORKSPACE_CHUNK_BYTES) {
        const d = await client.workspaces.read(
          workspaceId,
          change.seq,
          off,
          Math.min(WORKSPACE_CHUNK_BYTES, change.size - off),
        );
        if (!d.length) return;
        yield d;
      }
    }
    for await (const chunk of openMessage(stored(), {
      keyring: this.sm.keyringList(),
      expectId: workspaceId,
      onHeader: async (h) => {
        if (h.from.toLowerCase() !== change.author.toLowerCase() || h.computer !== change.authorComputer)
          throw new E2EError(
            "SENDERMISMATCH",
            `change ${change.seq} claims to be from computer "${h.computer}" of ${h.from}, but the realm lists computer "${change.authorComputer}" of ${change.author}`,
          );
        const t = await sm.senderTrust(h.from, h.computer, h.senderKeys);
        opened = { ...t, fingerprint: fingerprint(h.senderKeys.x25519, h.senderKeys.ed25519) };
      },
    }))
      await sink(chunk);
    return opened!;
  }
}
