// The realm-to-realm dispatch table (port 63745 after "OpenGroove realm ..."): one file per
// command, each stating the connection states it is allowed in (peer-connection.ts).
import type { PeerCommand } from "../peer-state.ts";
import hello from "./hello.ts";
import auth from "./auth.ts";
import deliverbegin from "./deliverbegin.ts";
import deliverdata from "./deliverdata.ts";
import delivercommit from "./delivercommit.ts";
import checkusers from "./checkusers.ts";
import publickeys from "./publickeys.ts";
import wsinvite from "./wsinvite.ts";
import wsremove from "./wsremove.ts";
import wschangebegin from "./wschangebegin.ts";
import wschangedata from "./wschangedata.ts";
import wschangecommit from "./wschangecommit.ts";
import wsaccept from "./wsaccept.ts";
import wsack from "./wsack.ts";
import wsleave from "./wsleave.ts";
import wspublishbegin from "./wspublishbegin.ts";
import wspublishdata from "./wspublishdata.ts";
import wspublishcommit from "./wspublishcommit.ts";
import ping from "./ping.ts";
import quit from "./quit.ts";

export const PEER_COMMANDS: ReadonlyMap<string, PeerCommand> = new Map(
  [
    hello,
    auth,
    deliverbegin,
    deliverdata,
    delivercommit,
    checkusers,
    publickeys,
    wsinvite,
    wsremove,
    wschangebegin,
    wschangedata,
    wschangecommit,
    wsaccept,
    wsack,
    wsleave,
    wspublishbegin,
    wspublishdata,
    wspublishcommit,
    ping,
    quit,
  ].map((c) => [c.name, c]),
);
