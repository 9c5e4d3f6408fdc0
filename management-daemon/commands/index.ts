// The management server's dispatch tables: one per port, each entry stating the connection
// states it is allowed in (session.ts).
import type { ManagementCommand } from "../session.ts";
import ping from "./client/ping.ts";
import listrealms from "./client/listrealms.ts";
import getrealmkeys from "./client/getrealmkeys.ts";
import managementkeys from "./client/managementkeys.ts";
import challenge from "./realm/challenge.ts";
import enroll from "./realm/enroll.ts";
import authrealm from "./realm/authrealm.ts";
import heartbeat from "./realm/heartbeat.ts";
import rotatekey from "./realm/rotatekey.ts";
import getrealm from "./realm/getrealm.ts";

const table = (list: ManagementCommand[]): ReadonlyMap<string, ManagementCommand> =>
  new Map(list.map((c) => [c.name, c]));

/** Port 63746: clients that look for realms. */
export const CLIENT_COMMANDS = table([ping, listrealms, getrealmkeys, managementkeys]);
/** Port 63747: realm servers. */
export const REALM_COMMANDS = table([
  ping,
  getrealmkeys,
  managementkeys,
  challenge,
  enroll,
  authrealm,
  heartbeat,
  rotatekey,
  getrealm,
]);
