// Routes og_channel notifications to the connections of THIS instance: channel packets to the
// channel's open channel connections (`channeldata`: from user id, from computer, length, then
// the bytes), invitations to the invitee's computers (`invitetochannel`: channel, name, owner),
// new members to the channel's connections (`newchannelmember`: channel, user id), and the end
// of a membership or of the channel (`channelclosed`: channel, reason; then the connection closes).
import { joinFieldsWithTrailingData } from "../lib/protocol/index.ts";
import { readChannelPacket, type ChannelNotice } from "../lib/domain/channels.ts";
import type { RealmDaemon } from "./daemon.ts";

export async function routeChannelNotification(daemon: RealmDaemon, payload: string): Promise<void> {
  const n = JSON.parse(payload) as ChannelNotice;
  const all = [...daemon.connections];
  if (n.k === "invited") {
    for (const c of all)
      if (c.session?.userId === n.u && c.session.computer && !c.session.channelId)
        c.notify("invitetochannel", [n.ch, n.name, n.owner]);
    return;
  }
  const onChannel = all.filter((c) => c.session?.channelId === n.ch);
  if (!onChannel.length) return;
  if (n.k === "joined") {
    for (const c of onChannel) c.notify("newchannelmember", [n.ch, n.member]);
    return;
  }
  if (n.k === "closed") {
    for (const c of onChannel) {
      if (n.u && c.session!.userId !== n.u) continue;
      c.notify("channelclosed", [n.ch, n.reason]);
      c.close(n.reason);
    }
    return;
  }
  const p = await readChannelPacket(daemon.db.pool, n.id);
  if (!p) return;
  const data = joinFieldsWithTrailingData([p.fromUserId, p.fromComputer, String(p.body.length)], p.body);
  for (const c of onChannel) {
    const s = c.session!;
    if (s.fullId === p.fromUserId && s.computer === p.fromComputer) continue; // not back to the sender
    if (p.toUserId && s.userId !== p.toUserId) continue;
    c.notify("channeldata", data);
  }
}
