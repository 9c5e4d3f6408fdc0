// The SDK's channels (docs/protocol.md, "Channels"): membership on the command connection, and
// a channel connection — a second connection authenticated with type `channel` — that sends
// and receives the channel's packets (low latency, nothing stored, no retry).
import { joinFieldsWithTrailingData, splitWithTrailingData } from "../../lib/protocol/index.ts";
import { OpenGrooveError, type CommandCaller } from "./connection.ts";
import { keyValueLines } from "../../lib/protocol/key-values.ts";

export interface ChannelInfo {
  id: string;
  status: "active" | "invited";
  role: "owner" | "member";
  name: string;
}

export interface ChannelMemberInfo {
  userId: string;
  role: "owner" | "member";
  status: "active" | "invited";
}

export interface ChannelPacket {
  from: string;
  fromComputer: string;
  data: Buffer;
}

export class Channels {
  constructor(private readonly c: CommandCaller) {}

  async create(name: string): Promise<string> {
    return keyValueLines((await this.c.call("createchannel", [name])).lines).channel;
  }

  async add(channelId: string, userId: string): Promise<void> {
    await this.c.call("addchannelmember", [channelId, userId]);
  }

  async accept(channelId: string): Promise<void> {
    await this.c.call("acceptchannelinvite", [channelId]);
  }

  async remove(channelId: string, userId: string): Promise<void> {
    await this.c.call("removechannelmember", [channelId, userId]);
  }

  async leave(channelId: string): Promise<void> {
    await this.c.call("leavechannel", [channelId]);
  }

  async delete(channelId: string): Promise<void> {
    await this.c.call("deletechannel", [channelId]);
  }

  async list(): Promise<ChannelInfo[]> {
    const r = await this.c.request("listchannels");
    if (r.status === "NORESULTS") return [];
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "listchannels");
    return r.lines
      .filter((l) => l)
      .map((l) => {
        const [id, status, role, ...name] = l.split(" ");
        return { id, status, role, name: name.join(" ") } as ChannelInfo;
      });
  }

  /** Members of a channel (on a channel connection, `channelId` may be omitted). */
  async members(channelId = ""): Promise<ChannelMemberInfo[]> {
    const r = await this.c.call("listchannelmembers", channelId ? [channelId] : []);
    return r.lines
      .filter((l) => l)
      .map((l) => {
        const [userId, role, status] = l.split(" ");
        return { userId, role, status } as ChannelMemberInfo;
      });
  }

  /** `invitetochannel`: someone added this user to a channel. */
  onInvite(fn: (i: { channelId: string; name: string; owner: string }) => void): void {
    this.c.on("invitetochannel", (r) => {
      const [channelId, name, owner] = r.text.split("\n");
      fn({ channelId, name, owner });
    });
  }

  // ---- on a channel connection

  /** Makes this (fresh) connection a channel connection of `channelId`. */
  async authenticate(username: string, computer: string, password: string, channelId: string): Promise<void> {
    await this.c.call("authenticate", ["channel", username, computer, password, channelId]);
  }

  /** Sends a packet to every other member's open channel connections, or to one member's. */
  async send(data: Uint8Array, to = ""): Promise<void> {
    await this.c.call("channelsend", joinFieldsWithTrailingData([to, String(data.length)], data));
  }

  onData(fn: (p: ChannelPacket) => void): void {
    this.c.on("channeldata", (r) => {
      const s = splitWithTrailingData(r.data, 3, 2);
      if (!s.ok) return;
      fn({ from: s.value.fields[0], fromComputer: s.value.fields[1], data: Buffer.from(s.value.data) });
    });
  }

  onMember(fn: (m: { channelId: string; userId: string }) => void): void {
    this.c.on("newchannelmember", (r) => {
      const [channelId, userId] = r.text.split("\n");
      fn({ channelId, userId });
    });
  }

  /** The channel was deleted, or this user removed or left: the server closes the connection next. */
  onClosed(fn: (c: { channelId: string; reason: string }) => void): void {
    this.c.on("channelclosed", (r) => {
      const [channelId, reason] = r.text.split("\n");
      fn({ channelId, reason });
    });
  }
}
