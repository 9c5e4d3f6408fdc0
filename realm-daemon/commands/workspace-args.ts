// Argument helpers shared by the workspace command handlers.
import { ProtocolError } from "../../lib/protocol/index.ts";

/** A workspace id as the server hands it out (a UUID); anything else cannot name a workspace. */
export function workspaceId(value: string): string {
  const v = value.trim().toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v))
    throw new ProtocolError("NOSUCHWORKSPACE", `"${value}" is not a workspace id`);
  return v;
}

/** A sequence number, change handle or offset: a whole number that fits a bigint column. */
export function bigNumber(value: string, name: string): bigint {
  if (!/^\d{1,18}$/.test(value)) throw new ProtocolError("BADARGUMENTS", `${name} must be a whole number`);
  return BigInt(value);
}
