// The SDK's workspace API (docs/protocol.md, "Shared workspaces"): membership, publishing a
// change of any size as a stream of chunks with a bounded number of writes in flight, pulling,
// streaming reads, acknowledging, and the `workspacechange` push. Memory use stays at a few
// chunks whatever the size of a change.
import { joinFieldsWithTrailingData } from "../../lib/protocol/index.ts";
import { OpenGrooveError, type CommandCaller, type Reply } from "./connection.ts";
import { keyValueLines } from "../../lib/protocol/key-values.ts";

/** Chunk size of workspace uploads and reads: eight 64 KiB storage blocks, half the default 1 MiB packet. */
export const WORKSPACE_CHUNK_BYTES = 512 * 1024;
/** Requests kept in flight while streaming (the server answers them in order). */
export const WORKSPACE_PIPELINE = 3;

export type WorkspaceRole = "owner" | "manager" | "member";
export type WorkspaceMemberStatus = "invited" | "active" | "suspended" | "left" | "removed";

export interface WorkspaceInfo {
  id: string;
  name: string;
  role: WorkspaceRole;
  status: WorkspaceMemberStatus;
  head: bigint;
  /** This computer's cursor; null before its first sync. */
  acked: bigint | null;
}

export interface WorkspaceMember {
  userId: string;
  role: WorkspaceRole;
  status: WorkspaceMemberStatus;
  lastSeenAt: Date | null;
  /** A member of another realm: where its invitation stands (taken by its realm, still queued, refused for good). */
  invitation?: "queued" | "delivered" | "refused";
}

export interface ChangeEntry {
  seq: bigint;
  size: number;
  author: string;
  authorComputer: string;
}

export interface PullResult {
  head: bigint;
  acked: bigint;
  more: boolean;
  /** This computer's own changes are not listed. */
  changes: ChangeEntry[];
  /** What to acknowledge once the listed changes are processed (covers own changes too). */
  upTo: bigint;
}

export type WorkspaceEvent =
  | { kind: "change"; workspaceId: string; seq: bigint; author: string; authorComputer: string }
  | { kind: "invited" | "removed" | "suspended"; workspaceId: string; name: string }
  /** A change published on a realm other than the workspace's home: ordered there as `seq`. */
  | { kind: "published"; workspaceId: string; seq: bigint }
  /** ...or refused there for good (`reason` starts with the status word); nothing was published. */
  | { kind: "refused"; workspaceId: string; reason: string };

export interface PublishOptions {
  /** Total size, when known: checked against the realm's limit and the free quota before any upload. */
  size?: number;
  onProgress?: (done: number, total: number | undefined) => void;
  pipeline?: number;
}

/** True for the refusal a member gets after being suspended for inactivity (see `resync`). */
export function isSuspended(e: unknown): boolean {
  return e instanceof OpenGrooveError && e.status === "UNAUTHORIZED" && e.reason.startsWith("suspended:");
}

const kv = keyValueLines;

/** Re-cuts any stream of buffers into exact `size` pieces (the last may be shorter). */
async function* rechunk(source: AsyncIterable<Buffer> | Iterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const piece of source) {
    let p = piece;
    while (p.length) {
      const take = Math.min(size - have, p.length);
      parts.push(p.subarray(0, take));
      have += take;
      p = p.subarray(take);
      if (have === size) {
        yield parts.length === 1 ? parts[0] : Buffer.concat(parts);
        parts = [];
        have = 0;
      }
    }
  }
  if (have) yield Buffer.concat(parts);
}

/** Runs tasks with at most `depth` in flight; the first failure is rethrown after the rest settle. */
class Window {
  private inflight = new Set<Promise<void>>();
  private error: unknown;
  constructor(private readonly depth: number) {}
  async add(task: Promise<unknown>): Promise<void> {
    const p: Promise<void> = task.then(
      () => undefined,
      (e: unknown) => {
        this.error ??= e;
      },
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    if (this.inflight.size >= this.depth) await Promise.race(this.inflight);
    if (this.error !== undefined) throw this.error;
  }
  async drain(): Promise<void> {
    await Promise.all(this.inflight);
    if (this.error !== undefined) throw this.error;
  }
}

export class Workspaces {
  constructor(private readonly client: CommandCaller) {}

  async create(name: string): Promise<string> {
    return kv((await this.client.call("workspacecreate", [name])).lines).workspace;
  }

  /** Invites a user (full user id, this realm or another); returns the canonical id. */
  async invite(workspaceId: string, userId: string, role: "member" | "manager" = "member"): Promise<string> {
    return kv((await this.client.call("workspaceinvite", [workspaceId, userId, role])).lines).member;
  }

  async accept(workspaceId: string): Promise<bigint> {
    return BigInt(kv((await this.client.call("workspaceaccept", [workspaceId])).lines).head);
  }

  async leave(workspaceId: string): Promise<{ freed: number; released: bigint }> {
    const m = kv((await this.client.call("workspaceleave", [workspaceId])).lines);
    return { freed: Number(m.freed), released: BigInt(m.released) };
  }

  async remove(workspaceId: string, userId: string): Promise<{ freed: number; released: bigint }> {
    const m = kv((await this.client.call("workspaceremove", [workspaceId, userId])).lines);
    return { freed: Number(m.freed), released: BigInt(m.released) };
  }

  async list(): Promise<WorkspaceInfo[]> {
    const r = await this.client.request("workspacelist");
    if (r.status === "NORESULTS") return [];
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "workspacelist");
    return r.lines.map((l) => {
      const [id, status, role, head, acked, ...name] = l.split(" ");
      return {
        id,
        status: status as WorkspaceMemberStatus,
        role: role as WorkspaceRole,
        head: BigInt(head),
        acked: acked === "-" ? null : BigInt(acked),
        name: name.join(" "),
      };
    });
  }

  async members(workspaceId: string): Promise<WorkspaceMember[]> {
    return (await this.client.call("workspacemembers", [workspaceId])).lines.map((l) => {
      const [userId, role, status, seen, invitation] = l.split(" ");
      return {
        userId,
        role: role as WorkspaceRole,
        status: status as WorkspaceMemberStatus,
        lastSeenAt: seen === "-" ? null : new Date(seen),
        ...(invitation ? { invitation: invitation as WorkspaceMember["invitation"] } : {}),
      };
    });
  }

  /** Opens an upload; returns its handle. */
  async begin(workspaceId: string, size?: number): Promise<string> {
    return kv(
      (await this.client.call("workspacebegin", size === undefined ? [workspaceId] : [workspaceId, String(size)]))
        .lines,
    ).change;
  }

  /** Appends a chunk at `offset` (the change's current size); returns the new size. */
  async write(handle: string, offset: number, data: Buffer): Promise<number> {
    return Number(
      kv(
        (
          await this.client.call(
            "workspacewrite",
            joinFieldsWithTrailingData([handle, String(offset), String(data.length)], data),
          )
        ).lines,
      ).size,
    );
  }

  async seal(handle: string): Promise<{ seq: bigint; size: number }> {
    const m = kv((await this.client.call("workspaceseal", [handle])).lines);
    return { seq: BigInt(m.seq), size: Number(m.size) };
  }

  async abort(handle: string): Promise<bigint> {
    return BigInt(kv((await this.client.call("workspaceabort", [handle])).lines).released);
  }

  /**
   * Publishes a change from a buffer or a stream of buffers: begin, chunked writes with a few
   * in flight, seal. On failure the upload is aborted (if the server has not discarded it
   * already) and the error rethrown.
   */
  async publish(
    workspaceId: string,
    source: Buffer | AsyncIterable<Buffer> | Iterable<Buffer>,
    opts: PublishOptions = {},
  ): Promise<{ seq: bigint; size: number }> {
    if (Buffer.isBuffer(source) && source.length <= WORKSPACE_CHUNK_BYTES) {
      const r = await this.publishSmall(workspaceId, source);
      opts.onProgress?.(source.length, source.length);
      return r;
    }
    const size = Buffer.isBuffer(source) ? source.length : opts.size;
    const handle = await this.begin(workspaceId, size);
    const window = new Window(opts.pipeline ?? WORKSPACE_PIPELINE);
    let offset = 0;
    try {
      for await (const chunk of rechunk(Buffer.isBuffer(source) ? [source] : source, WORKSPACE_CHUNK_BYTES)) {
        const at = offset;
        offset += chunk.length;
        await window.add(this.write(handle, at, chunk).then(() => opts.onProgress?.(at + chunk.length, size)));
      }
      await window.drain();
      return await this.seal(handle);
    } catch (e) {
      await window.drain().catch(() => undefined);
      await this.abort(handle).catch(() => undefined);
      throw e;
    }
  }

  /** A change that fits in one packet: stored and sealed in one request. */
  async publishSmall(workspaceId: string, data: Buffer): Promise<{ seq: bigint; size: number }> {
    const m = kv(
      (await this.client.call("workspacepublish", joinFieldsWithTrailingData([workspaceId, String(data.length)], data)))
        .lines,
    );
    return { seq: BigInt(m.seq), size: Number(m.size) };
  }

  /** The changes after this computer's cursor (at most `max`; `more` says whether to pull again after acking). */
  async pull(workspaceId: string, max?: number): Promise<PullResult> {
    const lines = (
      await this.client.call("workspacepull", max === undefined ? [workspaceId] : [workspaceId, String(max)])
    ).lines;
    const m = kv(lines.filter((l) => !l.startsWith("change=")));
    const changes = lines
      .filter((l) => l.startsWith("change="))
      .map((l) => {
        const [seq, size, author, authorComputer] = l.slice(7).split(" ");
        return { seq: BigInt(seq), size: Number(size), author, authorComputer };
      });
    const head = BigInt(m.head);
    const acked = BigInt(m.acked);
    const more = m.more === "true";
    const last = changes.length ? changes[changes.length - 1].seq : acked;
    return { head, acked, more, changes, upTo: more || last > head ? last : head };
  }

  async read(workspaceId: string, seq: bigint, offset: number, length: number): Promise<Buffer> {
    return (await this.client.call("workspaceread", [workspaceId, String(seq), String(offset), String(length)])).data;
  }

  /** Streams a change to `onChunk` in order, with a few reads in flight; memory stays at a few chunks. */
  async readStream(
    workspaceId: string,
    change: { seq: bigint; size: number },
    onChunk: (data: Buffer, offset: number) => void | Promise<void>,
    pipeline = WORKSPACE_PIPELINE,
  ): Promise<void> {
    const pending: Array<Promise<Buffer>> = [];
    let next = 0;
    const issue = () => {
      while (pending.length < pipeline && next < change.size) {
        pending.push(this.read(workspaceId, change.seq, next, Math.min(WORKSPACE_CHUNK_BYTES, change.size - next)));
        next += WORKSPACE_CHUNK_BYTES;
      }
    };
    issue();
    let offset = 0;
    try {
      while (pending.length) {
        const data = await pending.shift()!;
        await onChunk(data, offset);
        offset += data.length;
        issue();
      }
    } finally {
      // A failed chunk leaves later reads in flight; settle them so nothing rejects unhandled.
      await Promise.allSettled(pending);
    }
  }

  /** A whole change in memory (small changes; use readStream for large ones). */
  async download(workspaceId: string, change: { seq: bigint; size: number }): Promise<Buffer> {
    const parts: Buffer[] = [];
    await this.readStream(workspaceId, change, (d) => void parts.push(d));
    return Buffer.concat(parts);
  }

  /** This computer has every change up to `seq`. */
  async ack(workspaceId: string, seq: bigint): Promise<{ acked: bigint; freed: number; released: bigint }> {
    const m = kv((await this.client.call("workspaceack", [workspaceId, String(seq)])).lines);
    return { acked: BigInt(m.acked), freed: Number(m.freed), released: BigInt(m.released) };
  }

  /** After a suspension (or to reset this computer): rejoin at the current head. */
  async resync(workspaceId: string): Promise<bigint> {
    return BigInt(kv((await this.client.call("workspaceresync", [workspaceId])).lines).head);
  }

  /** `workspacechange` pushes, parsed. */
  onEvent(fn: (e: WorkspaceEvent) => void): this {
    this.client.on("workspacechange", (r: Reply) => {
      const [kind, workspaceId, a = "", b = "", c = ""] = r.lines;
      if (kind === "change") fn({ kind, workspaceId, seq: BigInt(a), author: b, authorComputer: c });
      else if (kind === "invited" || kind === "removed" || kind === "suspended") fn({ kind, workspaceId, name: a });
      else if (kind === "published" && /^\d+$/.test(a)) fn({ kind, workspaceId, seq: BigInt(a) });
      else if (kind === "refused") fn({ kind, workspaceId, reason: a });
    });
    return this;
  }
}
