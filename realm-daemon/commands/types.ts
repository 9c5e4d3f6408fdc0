// The typed dispatch table's entry: a handler and the connection states it is allowed in.
import type { Connection, CommandResult } from "../connection.ts";
import type { ConnectionState } from "../state.ts";

export interface CommandSpec {
  name: string;
  states: readonly ConnectionState[];
  handle(conn: Connection, args: Buffer): Promise<CommandResult>;
}

export function command(spec: CommandSpec): CommandSpec {
  return spec;
}
